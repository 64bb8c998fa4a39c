"""S2 §1: "phone lost or seized" ends every session and token and compromises the numbers."""

from typing import Any

import pytest
from django.urls import reverse

from salama.accounts import factors
from salama.accounts.models import ApiToken, AuditEvent, UserSession
from salama.people.models import ContactPoint, ContactState
from salama.privacy import services
from salama.safety.tokens import create_token

pytestmark = pytest.mark.django_db


def states(*points: ContactPoint) -> list[str]:
    return [ContactPoint.objects.get(pk=p.pk).state for p in points]


def test_phone_lost_ends_sessions_and_tokens_and_compromises_own_numbers(
    world: Any, roster: Any, clients: dict[str, Any]
) -> None:
    lead = world.users["lead"]
    create_token(user=lead, org=world.org, name="field tablet")
    assert clients["lead"].get(reverse("home")).status_code == 200
    assert UserSession.objects.filter(user=lead).exists()
    k10 = roster.persons["K10"]
    own = list(k10.contact_points.all())

    url = reverse("privacy:person_phone_lost", kwargs={"person_id": k10.pk})
    page = clients["coordinator"].get(url)
    assert page.status_code == 200
    for number in roster.numbers["K10"]:
        assert number not in page.content.decode()  # numbers are never shown
    response = clients["coordinator"].post(url, {"points": [str(p.pk) for p in own]})

    assert response.status_code == 200
    assert not UserSession.objects.filter(user=lead).exists()
    assert not ApiToken.objects.filter(user=lead, revoked_at__isnull=True).exists()
    assert states(*own) == [ContactState.COMPROMISED] * len(own)
    # The lead's browser is signed out at once.
    assert "/accounts/login" in clients["lead"].get(reverse("home"))["Location"]
    row = AuditEvent.objects.get(action="phone.lost")
    assert row.detail["user"] == lead.pk and row.detail["tokens"] == 1
    assert sorted(row.detail["contact_points"]) == sorted(p.pk for p in own)
    # Each number also has alerts' own "contact.seized" row.
    assert AuditEvent.objects.filter(action="contact.seized").count() == len(own)


def test_shared_number_is_compromised_only_when_chosen(world: Any, roster: Any) -> None:
    by = world.users["coordinator"].memberships.get()
    k12 = roster.persons["K12"]
    points = services.phone_numbers(person=k12)
    assert [p.pk for p in points] == [roster.ward_phone.pk]
    assert services.default_choice(points) == []

    services.report_phone_lost(by=by, person=k12)
    assert states(roster.ward_phone) == [ContactState.ACTIVE]
    assert not UserSession.objects.filter(user=world.users["staff"]).exists()

    services.report_phone_lost(by=by, person=k12, point_ids=[roster.ward_phone.pk])
    assert states(roster.ward_phone) == [ContactState.COMPROMISED]


def test_default_is_every_unshared_number(world: Any, roster: Any) -> None:
    by = world.users["coordinator"].memberships.get()
    k11 = roster.persons["K11"]
    result = services.report_phone_lost(by=by, person=k11)
    assert len(result.compromised) == 2
    assert set(states(*k11.contact_points.all())) == {ContactState.COMPROMISED}
    assert result.user_id is None  # K11 has no login


def test_member_page_covers_the_members_own_phone(
    world: Any, roster: Any, clients: dict[str, Any]
) -> None:
    member = world.users["coordinator"].memberships.get()
    url = reverse("privacy:member_phone_lost", kwargs={"member_id": member.pk})
    response = clients["org_admin"].post(url, {"points": [str(roster.coordinator_phone.pk)]})
    assert response.status_code == 200
    assert states(roster.coordinator_phone) == [ContactState.COMPROMISED]
    assert not UserSession.objects.filter(user=world.users["coordinator"]).exists()


def test_a_number_of_someone_else_is_refused_and_nothing_changes(
    world: Any, roster: Any, clients: dict[str, Any]
) -> None:
    k10 = roster.persons["K10"]
    other = roster.persons["K20"].contact_points.get()
    url = reverse("privacy:person_phone_lost", kwargs={"person_id": k10.pk})
    response = clients["coordinator"].post(url, {"points": [str(other.pk)]})
    assert response.status_code == 400
    assert states(other) == [ContactState.ACTIVE]
    assert UserSession.objects.filter(user=world.users["lead"]).exists()
    assert not AuditEvent.objects.filter(action="phone.lost").exists()


def test_phone_lost_needs_a_recent_second_factor(
    world: Any, roster: Any, clients: dict[str, Any]
) -> None:
    client = clients["coordinator"]
    session = client.session
    session[factors.VERIFIED_AT] = session[factors.VERIFIED_AT] - 3600
    session.save()
    k10 = roster.persons["K10"]
    url = reverse("privacy:person_phone_lost", kwargs={"person_id": k10.pk})
    response = client.post(url, {"points": [str(k10.contact_points.get().pk)]})
    assert response.status_code == 302
    assert reverse("accounts:second_factor") in response["Location"]
    assert states(k10.contact_points.get()) == [ContactState.ACTIVE]


def test_field_staff_cannot_report_anyone(world: Any, roster: Any, clients: dict[str, Any]) -> None:
    url = reverse("privacy:person_phone_lost", kwargs={"person_id": roster.persons["K10"].pk})
    assert clients["lead"].post(url, {}).status_code == 403
    assert clients["outsider"].post(url, {}).status_code in (403, 404)
