"""POST /api/checkins/batch: many check-ins, each with its own key, answered one by one in order,
with the rules of POST /api/checkins (salama.safety.batch)."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salama.accounts.models import User
from salama.people.models import Person
from salama.safety.models import CheckIn, IdempotencyKey
from salama.safety.tokens import create_token

pytestmark = pytest.mark.django_db

URL = "/api/checkins/batch"


@pytest.fixture
def token(world: Any, roster: Any) -> str:
    user = User.objects.get(pk=world.users["coordinator"].pk)
    return create_token(user=user, org=world.org, name="sync")


def _batch(token: str, items: list[Any]) -> Any:
    return Client().post(
        URL,
        data=json.dumps({"items": items}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_each_item_is_answered_in_order_and_stored(token: str) -> None:
    items = [
        {"key": "a", "codename": "K12", "status": "SAFE"},
        {"key": "b", "codename": "K13", "status": "NEED_HELP", "note": "trapped"},
        {"key": "c", "codename": "K20", "status": "INJURED"},
    ]
    response = _batch(token, items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["key"] for r in results] == ["a", "b", "c"]
    assert [r["status"] for r in results] == [201, 201, 201]
    assert [r["checkin"]["codename"] for r in results] == ["K12", "K13", "K20"]
    assert [r["checkin"]["basis"] for r in results] == ["relayed"] * 3
    assert CheckIn.objects.count() == 3
    assert Person.objects.get(codename="K13").state == "NEED_HELP"
    assert IdempotencyKey.objects.filter(key__in=["a", "b", "c"]).count() == 3


def test_a_bad_item_in_the_middle_leaves_nothing_and_the_others_are_answered(token: str) -> None:
    items = [
        {"key": "a", "codename": "K12", "status": "SAFE"},
        {"key": "b", "codename": "K13", "status": "NOT_A_STATUS"},
        {"key": "c", "codename": "NOBODY", "status": "SAFE"},
        {"codename": "K13", "status": "SAFE"},  # no key
        {"key": "o", "codename": "K13", "status": "SAFE", "area_id": 2**70},
        {"key": "e", "codename": "K20", "status": "SAFE"},
    ]
    results = _batch(token, items).json()["results"]
    assert [r["status"] for r in results] == [201, 422, 404, 422, 422, 201]
    assert "status" in results[1]["detail"]
    assert results[2]["detail"] and results[2]["checkin"] is None
    assert sorted(CheckIn.objects.values_list("person__codename", flat=True)) == ["K12", "K20"]
    # The refused items claimed no key: sent again, corrected, they are recorded.
    assert not IdempotencyKey.objects.filter(key__in=["b", "c", "o"]).exists()
    again = _batch(token, [{"key": "b", "codename": "K13", "status": "SAFE"}]).json()
    assert again["results"][0]["status"] == 201


def test_a_refused_item_writes_nothing_of_itself(token: str, world: Any) -> None:
    # The check-in is stored before the key is claimed: a key used before with another body
    # rolls that item's check-in back, and only that item's.
    _batch(token, [{"key": "k", "codename": "K12", "status": "SAFE"}])
    before = CheckIn.objects.count()
    results = _batch(
        token,
        [
            {"key": "k", "codename": "K12", "status": "INJURED"},
            {"key": "m", "codename": "K12", "status": "SAFE"},
        ],
    ).json()["results"]
    # 409 as POST /checkins answers a key used before with another body (O1: conflicts are 409)
    assert [r["status"] for r in results] == [409, 201]
    assert "different" in results[0]["detail"]
    assert CheckIn.objects.count() == before + 1
    assert Person.objects.get(codename="K12").state == "SAFE"


def test_duplicates_replay_the_first_answer(token: str) -> None:
    first = _batch(token, [{"key": "d", "codename": "K12", "status": "SAFE"}]).json()
    items = [
        {"key": "d", "codename": "K12", "status": "SAFE"},  # sent before: replayed
        {"key": "n", "codename": "K13", "status": "SAFE"},
        {"key": "n", "codename": "K13", "status": "SAFE"},  # twice in this batch
    ]
    results = _batch(token, items).json()["results"]
    assert [r["status"] for r in results] == [201, 201, 201]
    assert [r["replayed"] for r in results] == [True, False, True]
    assert results[0]["checkin"] == first["results"][0]["checkin"]
    assert results[2]["checkin"] == results[1]["checkin"]
    assert CheckIn.objects.count() == 2


def test_a_call_for_help_in_a_batch_is_never_held_back(token: str) -> None:
    items = [
        {"key": "h1", "codename": "K12", "status": "NEED_HELP", "note": "x" * 900},
        {"key": "h2", "codename": "K12", "status": "SAFE", "device_at": "2000-01-01T00:00:00Z"},
    ]
    results = _batch(token, items).json()["results"]
    assert [r["status"] for r in results] == [201, 201]
    help_call = CheckIn.objects.get(pk=results[0]["checkin"]["id"])
    assert help_call.note == "x" * 900  # kept whole
    # The stale, re-timed SAFE does not replace the call for help.
    assert Person.objects.get(codename="K12").state == "NEED_HELP"


def test_roles_and_shape_are_checked_before_the_items(world: Any, roster: Any) -> None:
    viewer = create_token(user=world.users["observer"], org=world.org, name="v")
    assert _batch(viewer, [{"key": "a", "status": "SAFE"}]).status_code == 403
    coordinator = create_token(user=world.users["coordinator"], org=world.org, name="c")
    assert _batch(coordinator, []).status_code == 422
    assert (
        _batch(coordinator, [{"key": str(i), "status": "SAFE"} for i in range(201)]).status_code
        == 422
    )
    assert CheckIn.objects.count() == 0


# The token; BEGIN; the batch's keys looked up in one SELECT; the caller's person locked once;
# on PostgreSQL the ids of its check-ins taken in one, then every item's writes held and written
# in ONE statement with every key's INSERT: the check-ins' INSERT, the person's UPDATE, the keys'
# INSERT (salama.safety.checkins.HeldWrites; elsewhere two statements per item and the keys in
# one); COMMIT (was 3 + 6 per item, each item in its own savepoint, then 6 + 2, then 7 + 1).
PER_ITEM = 0 if connection.vendor == "postgresql" else 2
FIXED = 7 if connection.vendor == "postgresql" else 6


def test_a_batch_is_a_fixed_number_of_statements(world: Any, roster: Any) -> None:
    own = create_token(user=world.users["staff"], org=world.org, name="phone")  # K12's phone
    _batch(own, [{"key": "warm", "status": "SAFE"}])  # last_used_at written once
    items = [{"key": f"q{i}", "status": "SAFE"} for i in range(10)]
    with CaptureQueriesContext(connection) as queries:
        results = _batch(own, items).json()["results"]
    assert [r["status"] for r in results] == [201] * 10
    assert len(queries) <= FIXED + PER_ITEM * 10, "\n".join(
        q["sql"][:100] for q in queries.captured_queries
    )
    assert CheckIn.objects.filter(person__codename="K12").count() == 11
    assert IdempotencyKey.objects.filter(key__in=[f"q{i}" for i in range(10)]).count() == 10
    # The ids rise in the order of the items (reserved ids are used first to last), and the
    # person's state is the last one's.
    ids = [r["checkin"]["id"] for r in results]
    assert ids == sorted(ids) and len(set(ids)) == 10
    person = Person.objects.get(org=world.org, codename="K12")
    assert person.state_checkin_id == max(ids)


def test_a_key_claimed_meanwhile_answers_the_batch_item_by_item(world: Any, roster: Any) -> None:
    """The fast pass claims every key in one INSERT at the end; when another request claimed
    one of them meanwhile, the whole pass is rolled back and the batch answered item by item
    (the claimed key replayed), nothing recorded twice."""
    from salama.safety import batch

    own = create_token(user=world.users["staff"], org=world.org, name="phone")
    first = _batch(own, [{"key": "x1", "status": "SAFE"}]).json()["results"][0]
    stored = CheckIn.objects.count()
    real = batch._Pass.__init__

    def forgetting(self: Any, request: Any, raws: list[Any]) -> None:
        real(self, request, raws)
        self.answers.clear()  # as if x1 had been claimed after the look-up

    items = [{"key": "x0", "status": "SAFE"}, {"key": "x1", "status": "SAFE"}]
    from unittest import mock

    with mock.patch.object(batch._Pass, "__init__", forgetting):
        results = _batch(own, items).json()["results"]
    assert [(r["status"], r["replayed"]) for r in results] == [(201, False), (201, True)]
    assert results[1]["checkin"] == first["checkin"]
    assert CheckIn.objects.count() == stored + 1


def test_a_refused_own_item_between_two_leaves_the_others(world: Any, roster: Any) -> None:
    own = create_token(user=world.users["staff"], org=world.org, name="phone")
    items = [
        {"key": "r1", "status": "NEED_HELP"},
        {"key": "r2", "status": "SAFE", "area_id": 999999},
        {"key": "r3", "status": "SAFE"},
    ]
    results = _batch(own, items).json()["results"]
    assert [r["status"] for r in results] == [201, 422, 201]
    assert not IdempotencyKey.objects.filter(key="r2").exists()
    assert CheckIn.objects.filter(person__codename="K12").count() == 2


def test_own_items_around_a_codename_item_for_oneself_see_its_state(
    world: Any, roster: Any
) -> None:
    """The fast pass locks the caller's person once; an item naming that same person by codename
    moves the state through its own lock, and the next item for oneself reads it again: a
    check-in older than that item does not replace it."""
    from datetime import timedelta

    from salama.lib import clock

    own = create_token(user=world.users["staff"], org=world.org, name="phone")  # K12's phone
    at = clock.now()
    items = [
        {"key": "s1", "status": "SAFE", "device_at": (at - timedelta(hours=2)).isoformat()},
        {"key": "s2", "codename": "K12", "status": "INJURED"},
        {"key": "s3", "status": "NEED_HELP", "device_at": (at - timedelta(hours=1)).isoformat()},
    ]
    results = _batch(own, items).json()["results"]
    assert [r["status"] for r in results] == [201, 201, 201]
    person = Person.objects.get(codename="K12")
    assert person.state == "INJURED"
    assert person.state_checkin_id == results[1]["checkin"]["id"]
