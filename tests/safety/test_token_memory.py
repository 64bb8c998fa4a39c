"""POST /api/checkins takes a token this process has seen from memory (no statement of its
own) and checks it in the statement that locks the caller's person: a token revoked, a user or
membership ended, or a role changed by ANOTHER process (here: straight in the database, never
through this process) counts at the very next request, and nothing is written or replayed for
a token that no longer holds (salama.safety.tokens.TokenAuth)."""

from typing import Any

import pytest
from django.test import Client

from salama.accounts.models import ApiToken, Membership, Role, User
from salama.lib import clock
from salama.safety.models import CheckIn, IdempotencyKey
from salama.safety.tokens import create_token

pytestmark = pytest.mark.django_db


def _post(token: str, key: str = "", body: str = '{"status": "SAFE"}') -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return Client().post(
        "/api/checkins", data=body, content_type="application/json", headers=headers
    )


@pytest.fixture
def staff(world: Any, roster: Any) -> User:
    return User.objects.get(pk=world.users["staff"].pk)


@pytest.fixture
def token(world: Any, staff: User) -> str:
    value = create_token(user=staff, org=world.org, name="phone")
    assert _post(value, "seen").status_code == 201  # now in this process's memory
    return value


def _written() -> tuple[int, int]:
    return CheckIn.objects.count(), IdempotencyKey.objects.count()


def test_a_token_revoked_elsewhere_is_refused_at_once_and_nothing_is_written(
    token: str, staff: User
) -> None:
    assert _post(token, "k-1").status_code == 201
    ApiToken.objects.filter(user=staff).update(revoked_at=clock.now())
    before = _written()
    refused = _post(token, "k-2")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert _written() == before


def test_a_used_key_is_not_replayed_to_a_revoked_token(token: str, staff: User) -> None:
    assert _post(token, "k-1").status_code == 201
    ApiToken.objects.filter(user=staff).update(revoked_at=clock.now())
    again = _post(token, "k-1")
    assert again.status_code == 401
    assert "Idempotent-Replayed" not in again


@pytest.mark.parametrize("ended", ["user", "membership", "organisation"])
def test_an_ended_user_membership_or_organisation_ends_the_token(
    token: str, staff: User, world: Any, ended: str
) -> None:
    if ended == "user":
        User.objects.filter(pk=staff.pk).update(is_active=False)
    elif ended == "membership":
        Membership.objects.filter(user=staff, org=world.org).update(is_active=False)
    else:
        type(world.org).objects.filter(pk=world.org.pk).update(is_active=False)
    before = _written()
    assert _post(token, "k-3").status_code == 401
    assert _written() == before


def test_a_role_changed_elsewhere_is_the_role_that_answers(
    token: str, staff: User, world: Any
) -> None:
    membership = Membership.objects.filter(user=staff, org=world.org)
    membership.update(role=Role.OBSERVER)
    before = _written()
    assert _post(token, "k-4").status_code == 403
    assert _written() == before
    membership.update(role=Role.FIELD_LEAD)  # may check in: answered as the new role
    assert _post(token, "k-5").status_code == 201


def test_a_check_in_for_a_codename_looks_the_token_up_again(token: str, staff: User) -> None:
    body = '{"status": "SAFE", "codename": "K12"}'  # staff's own person, by codename
    assert _post(token, "k-6", body).status_code == 201
    ApiToken.objects.filter(user=staff).update(revoked_at=clock.now())
    before = _written()
    assert _post(token, "k-7", body).status_code == 401
    assert _written() == before


@pytest.mark.parametrize("path", ["/api/checkins", "/api/checkins/batch"])
def test_a_token_revoked_while_its_request_is_answered_is_refused_not_an_error(
    token: str, staff: User, world: Any, monkeypatch: Any, path: str
) -> None:
    """Revoked between authentication and the lock (the check in the lock finds it): 401 after
    a fresh look-up, nothing written — also for a batch, and for a caller without a person."""
    from salama.people.models import Person
    from salama.safety import checkins, services

    original = checkins.lock_own_person_for_token

    def revoked_meanwhile(*args: Any, **kwargs: Any) -> Any:
        ApiToken.objects.filter(user=staff).update(revoked_at=clock.now())
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "lock_own_person_for_token", revoked_meanwhile)
    # The batch's fast pass locks the caller's person without the token; a caller with no
    # person reaches the token's check in the lock there too.
    Person.objects.filter(membership__user=staff).update(membership=None)
    before = _written()
    body = '{"status": "SAFE"}'
    if path.endswith("batch"):
        body = '{"items": [{"key": "b-1", "status": "SAFE"}]}'
    response = Client().post(
        path, data=body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k-8"},
    )  # fmt: skip
    assert response.status_code == 401, response.content
    assert _written() == before
