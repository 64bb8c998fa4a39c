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

# token+membership, BEGIN, the key's INSERT, the person locked, the check-in, the person's
# UPDATE (which decides heightened mode itself: no lookup of its own), the stored answer, COMMIT
# (was 15, then 9).
WITH_KEY = 8


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


def test_a_checkin_with_an_idempotency_key_is_eight_statements(token: str) -> None:
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, token, "k-1")
    assert response.status_code == 201
    assert len(queries) <= WITH_KEY


def test_a_checkin_without_a_key_is_six_statements(token: str) -> None:
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        assert _post(client, token).status_code == 201
    assert len(queries) <= WITH_KEY - 2


def test_a_replay_records_nothing_and_is_a_few_statements(token: str) -> None:
    client = Client()
    first = _post(client, token, "k-2")
    stored = CheckIn.objects.count()
    with CaptureQueriesContext(connection) as queries:
        again = _post(client, token, "k-2")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CheckIn.objects.count() == stored
    assert len(queries) <= 6  # token, BEGIN, the failed INSERT, ROLLBACK, the stored answer
