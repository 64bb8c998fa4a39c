"""Queries compiled once (salama.safety.prepared) give what the ORM gives, and the token and
own-person look-ups that use them still refuse what they refused."""

import json
from typing import Any

import pytest
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.test import Client

from salama.accounts.models import ApiToken, Membership, Organisation
from salama.people.models import Person
from salama.safety import services
from salama.safety.prepared import Prepared
from salama.safety.tokens import _token_query, create_token, token_hash

pytestmark = pytest.mark.django_db


def _post(token: str) -> Any:
    return Client().post(
        "/api/checkins",
        json.dumps({"status": "SAFE"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_the_token_row_is_what_the_orm_gives(world: Any, team: Any) -> None:
    value = create_token(user=world.users["staff"], org=world.org, name="phone")
    prepared = Prepared(_token_query, "")
    row = prepared(token_hash(value))
    expected = _token_query(token_hash(value)).first()
    assert row is not None and expected is not None
    assert row.pk == expected.pk and row.token_hash == expected.token_hash
    assert row.last_used_at == expected.last_used_at and row.created_at == expected.created_at
    assert row.user.pk == expected.user.pk and row.user.username == "staff"
    assert row.org.pk == world.org.pk and row.org.settings == expected.org.settings
    assert row.org.get_deferred_fields() == {"credentials"}
    member = getattr(row, "member")  # noqa: B009
    assert member.pk == getattr(expected, "member").pk  # noqa: B009
    assert member.role == "staff" and member.org_id == world.org.pk
    assert prepared(token_hash(value + "x")) is None


def test_a_value_that_does_not_reach_the_sql_is_refused(world: Any) -> None:
    with pytest.raises(ValueError, match="parameter"):
        Prepared(lambda _name: Organisation.objects.filter(is_active=True), "")("x")


def test_the_token_of_an_inactive_membership_user_or_organisation_authenticates_nothing(
    world: Any, team: Any
) -> None:
    value = create_token(user=world.users["staff"], org=world.org, name="phone")
    assert _post(value).status_code == 201
    membership = Membership.objects.get(user=world.users["staff"], org=world.org)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    assert _post(value).status_code == 401
    Membership.objects.filter(pk=membership.pk).update(is_active=True)
    type(world.users["staff"]).objects.filter(pk=world.users["staff"].pk).update(is_active=False)
    assert _post(value).status_code == 401
    type(world.users["staff"]).objects.filter(pk=world.users["staff"].pk).update(is_active=True)
    Organisation.objects.filter(pk=world.org.pk).update(is_active=False)
    assert _post(value).status_code == 401
    Organisation.objects.filter(pk=world.org.pk).update(is_active=True)
    ApiToken.objects.filter(token_hash=token_hash(value)).update(revoked_at=world.org.created_at)
    assert _post(value).status_code == 401


def test_a_token_gets_the_membership_of_its_own_organisation(world: Any, team: Any) -> None:
    """The staff user is a member of the test organisation only: a token for another
    organisation authenticates nothing."""
    value = create_token(user=world.users["staff"], org=world.other_org, name="phone")
    assert _post(value).status_code == 401


def test_the_own_person_is_locked_with_its_flags(world: Any, team: Any) -> None:
    membership = Membership.objects.get(user=world.users["staff"], org=world.org)
    with transaction.atomic():
        person = services.lock_own_person(world.org, membership)
        expected = services.lock_person(Person.objects.filter(membership=membership))
    assert person is not None and expected is not None
    assert person.pk == team.staff.pk == expected.pk
    assert person.org is world.org
    assert person.has_open_escalation is False  # type: ignore[attr-defined]
    assert set(person.get_deferred_fields()) == set(expected.get_deferred_fields())
    for field in ("codename", "area_id", "period", "heard_at", "state", "is_overdue"):
        assert getattr(person, field) == getattr(expected, field)
    with transaction.atomic():
        assert services.lock_own_person(world.other_org, membership) is None


@pytest.mark.django_db(transaction=True)
def test_the_own_person_is_never_locked_outside_a_transaction(world: Any, team: Any) -> None:
    membership = Membership.objects.get(user=world.users["staff"], org=world.org)
    with transaction.atomic():
        assert services.lock_own_person(world.org, membership) is not None  # compiled
    with pytest.raises(TransactionManagementError):
        services.lock_own_person(world.org, membership)


def test_an_api_checkin_closes_the_callers_open_escalation(world: Any, team: Any) -> None:
    from salama.alerts.models import Escalation

    escalation = Escalation.objects.create(org=world.org, person=team.staff)
    membership = Membership.objects.get(user=world.users["staff"], org=world.org)
    with transaction.atomic():
        person = services.lock_own_person(world.org, membership)
    assert person is not None and person.has_open_escalation is True  # type: ignore[attr-defined]
    value = create_token(user=world.users["staff"], org=world.org, name="phone")
    answer = _post(value)
    assert answer.status_code == 201
    escalation.refresh_from_db()
    assert escalation.closed_at is not None
    assert escalation.closed_by_checkin_id == answer.json()["id"]
