"""The check-in path through the API stays a fixed, small number of statements (query counts,
never timings): token, membership and organisation in one; the caller's person found and locked
in one; no escalation statement when none is open."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salama.accounts.models import User
from salama.safety.models import CheckIn
from salama.safety.tokens import create_token

pytestmark = pytest.mark.django_db


def _pin(with_key: bool) -> int:
    """On PostgreSQL: BEGIN, the person locked (with the token checked, the organisation read
    and the check-in's id taken in the same statement: the token came from this process's
    memory), ONE statement for the check-in's INSERT, the person's UPDATE (which decides
    heightened mode itself) and the key's INSERT with its answer, COMMIT (was 15, 9, 8, 7).
    Elsewhere the three writes are one statement each."""
    if connection.vendor == "postgresql":
        return 4
    return 6 if with_key else 5


def _post(client: Client, token: str, key: str = "", body: str = '{"status": "SAFE"}') -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/checkins", data=body, content_type="application/json", headers=headers)


@pytest.fixture
def token(world: Any, roster: Any) -> str:
    user = User.objects.get(pk=world.users["staff"].pk)
    client = Client()
    value = create_token(user=user, org=world.org, name="phone")
    assert _post(client, value, "warm").status_code == 201  # last_used_at written once
    return value


def test_a_checkin_with_an_idempotency_key_is_four_statements(token: str) -> None:
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, token, "k-1")
    assert response.status_code == 201
    assert len(queries) <= _pin(with_key=True), [q["sql"][:60] for q in queries]


def test_a_checkin_without_a_key_is_four_statements(token: str) -> None:
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        assert _post(client, token).status_code == 201
    assert len(queries) <= _pin(with_key=False), [q["sql"][:60] for q in queries]


def test_a_replay_records_nothing_and_is_a_few_statements(token: str) -> None:
    client = Client()
    first = _post(client, token, "k-2")
    stored = CheckIn.objects.count()
    with CaptureQueriesContext(connection) as queries:
        again = _post(client, token, "k-2")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CheckIn.objects.count() == stored
    # Recorded, then refused at the key's INSERT and rolled back (the key is claimed last, with
    # its answer, to spare every first request an UPDATE): token, SAVEPOINT, the person locked,
    # the check-in, the person's UPDATE, the failed INSERT, ROLLBACK TO and RELEASE, the stored
    # answer. (A real transaction: BEGIN and ROLLBACK, 8.)
    assert len(queries) <= 9


def test_a_replay_after_recording_is_refused_still_gets_the_first_answer(
    token: str, world: Any
) -> None:
    """The key is claimed after recording: when recording would now be refused (the account is
    no longer linked to a person), a used key still replays its first answer."""
    from salama.people.models import Person

    client = Client()
    first = _post(client, token, "k-3")
    assert first.status_code == 201
    Person.objects.filter(membership__user=world.users["staff"]).update(membership=None)
    assert _post(client, token, "k-4").status_code == 422
    again = _post(client, token, "k-3")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    different = _post(client, token, "k-3", '{"status": "INJURED"}')
    assert different.status_code == 409 and "different" in different.json()["detail"]
