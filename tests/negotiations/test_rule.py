"""The two-person rule and consent before any name (issue E2, "Done when"): every role tries to
complete the rule and cannot; a change voids approvals; export before approval and a name without
the matching consent are refused, translated and audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from salama.accounts.models import AuditEvent, Membership
from salama.evacuation import services as evac_services
from salama.negotiations import services
from salama.negotiations.base import content_hash
from salama.negotiations.models import Disclosure, PackageVersion
from salama.people.models import Person
from tests.negotiations.helpers import approve_twice, member, package, party

pytestmark = pytest.mark.django_db


def _refused(code: str) -> int:
    return AuditEvent.objects.filter(action="negotiations.refused", detail__code=code).count()


def _export(version: PackageVersion, by: Membership) -> dict[str, Any]:
    return services.export(version=version, by=by, kind="json")


def test_two_different_coordinators_approve_then_export(world: Any) -> None:
    version = package(world)
    services.approve(version=version, by=member(world, "coordinator"))
    with pytest.raises(services.NegotiationError):
        _export(version, member(world, "coordinator"))
    services.approve(version=version, by=member(world, "coordinator2"))
    body = _export(version, member(world, "liaison"))
    assert body["hash"]["value"] == version.content_hash == content_hash(body["content"])
    assert AuditEvent.objects.filter(action="negotiations.exported", object_id=str(version.pk))


def test_the_same_user_twice_cannot_complete_it(world: Any) -> None:
    version = package(world)
    coordinator = member(world, "coordinator")
    services.approve(version=version, by=coordinator)
    with pytest.raises(services.NegotiationError, match="already approved"):
        services.approve(version=version, by=coordinator)
    assert not services.is_approved(version)
    with pytest.raises(services.NegotiationError):
        _export(version, coordinator)
    assert _refused("same_approver") == 1 and _refused("not_approved") == 1


@pytest.mark.parametrize("role", ["observer", "liaison", "lead", "staff", "outsider"])
def test_no_other_role_can_approve(world: Any, role: str) -> None:
    """With one real coordinator's approval, the second from any other role (another
    organisation's coordinator included) is refused and the export stays refused."""
    version = package(world)
    services.approve(version=version, by=member(world, "coordinator"))
    with pytest.raises(services.NegotiationError, match="Only a coordinator"):
        services.approve(version=version, by=member(world, role))
    assert version.approvals.count() == 1
    with pytest.raises(services.NegotiationError, match="Two different coordinators"):
        _export(version, member(world, "coordinator"))
    assert _refused("role") == 1


def test_another_orgs_coordinator_cannot_export_even_an_approved_version(world: Any) -> None:
    version = package(world)
    approve_twice(world, version)
    with pytest.raises(services.NegotiationError):
        _export(version, member(world, "outsider"))
    with pytest.raises(services.NegotiationError):
        _export(version, member(world, "observer"))


def test_a_change_after_approval_voids_it(world: Any) -> None:
    version = package(world)
    approve_twice(world, version)
    data = services.input_of(version)
    data.people += 1
    newer = services.revise(package=version.package, data=data, by=member(world, "liaison"))
    version.refresh_from_db()
    assert version.is_void and newer.number == 2 and newer.content_hash != version.content_hash
    assert not services.is_approved(newer)
    with pytest.raises(services.NegotiationError, match="replaced"):
        services.approve(version=version, by=member(world, "org_admin"))
    with pytest.raises(services.NegotiationError, match="replaced"):
        _export(version, member(world, "coordinator"))
    with pytest.raises(services.NegotiationError, match="Two different"):
        _export(newer, member(world, "coordinator"))
    assert _refused("void_version") == 2


def test_a_package_for_a_cancelled_movement_is_refused(world: Any) -> None:
    version = package(world)
    mov = version.package.movement
    evac_services.change_status(movement=mov, to="cancelled", by=member(world, "coordinator"))
    mov.refresh_from_db()
    with pytest.raises(services.NegotiationError, match="cancelled"):
        services.create_package(
            movement=mov,
            party=version.package.party,
            data=services.draft_from(mov),
            by=member(world, "coordinator"),
        )
    with pytest.raises(services.NegotiationError, match="cancelled"):
        services.approve(version=version, by=member(world, "coordinator"))
    assert _refused("cancelled_movement") == 2


def _named(world: Any, version: PackageVersion, person: Person) -> PackageVersion:
    data = services.input_of(version)
    data.named = [services.Named(person, ("name", "medical"), {"medical": "insulin"})]
    return services.revise(package=version.package, data=data, by=member(world, "coordinator"))


def _consent(world: Any, person: Person, version: PackageVersion, decision: str = "yes") -> None:
    services.record_consent(
        person=person,
        version=version,
        decision=decision,
        told="Terms, the destination and the process",
        how="in_person",
        by=member(world, "liaison"),
    )


@pytest.fixture
def k5(world: Any) -> Person:
    return Person.objects.create(org=world.org, codename="K5", role="nurse", real_name="Fict Name")


def test_a_name_without_consent_is_refused(world: Any, k5: Person) -> None:
    named = _named(world, package(world), k5)
    with pytest.raises(services.NegotiationError, match="not consented"):
        services.approve(version=named, by=member(world, "coordinator"))
    assert _refused("no_consent") == 1
    assert not Disclosure.objects.exists()


def test_consent_for_another_version_or_recipient_does_not_count(world: Any, k5: Person) -> None:
    first = package(world)
    other = package(world, recipient=party(world, "Other party"))
    named_other = _named(world, other, k5)
    _consent(world, k5, named_other)  # consent for the other recipient
    named = _named(world, first, k5)
    newest = _named(world, named, k5)  # a newer version: consent to `named` is for an old one
    _consent(world, k5, named)
    with pytest.raises(services.NegotiationError, match="not consented"):
        services.approve(version=newest, by=member(world, "coordinator"))
    _consent(world, k5, newest)
    approve_twice(world, newest)
    body = _export(newest, member(world, "coordinator"))
    assert body["content"]["named"] == [{"name": "Fict Name", "medical": "insulin"}]
    row = Disclosure.objects.get(person=k5)
    assert row.version == newest and row.party == first.package.party
    assert row.fields == ["name", "medical"]


def test_withdrawn_consent_stops_the_export(world: Any, k5: Person) -> None:
    named = _named(world, package(world), k5)
    _consent(world, k5, named)
    approve_twice(world, named)
    _consent(world, k5, named, decision="withdrawn")
    with pytest.raises(services.NegotiationError, match="not consented"):
        _export(named, member(world, "coordinator"))
    assert not Disclosure.objects.exists()


def test_refusals_are_translated(world: Any) -> None:
    version = package(world)
    with translation.override("ar"), pytest.raises(services.NegotiationError) as caught:
        _export(version, member(world, "coordinator"))
    assert "Two different" not in caught.value.messages[0]
    assert any("\u0600" <= ch <= "\u06ff" for ch in caught.value.messages[0])


def test_lead_time_warning(world: Any) -> None:
    version = package(world)  # the helper's movement starts in two hours
    assert "48" in services.lead_warning(version.package)
    version.package.emergency = True
    assert "24" in services.lead_warning(version.package)
