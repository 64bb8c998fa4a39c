"""The batch's fast pass holds its items' writes and writes them together (salama.safety.
checkins.HeldWrites: one statement for the whole batch on PostgreSQL). What it leaves must be
exactly what the same check-ins leave sent one by one to POST /api/checkins: the person's state,
deadline and overdue flag (heightened mode decided in SQL included), every check-in, the alerts
and escalations, and what a checkin_recorded receiver reads from the person meanwhile."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from salama.alerts.models import Alert, Escalation
from salama.people.models import Person
from salama.safety import hooks, services
from salama.safety.models import CheckIn
from salama.safety.tokens import create_token
from tests.safety.conftest import T0

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
M = timedelta(minutes=1)


def _items(team: Any) -> list[dict[str, Any]]:
    at = T0.isoformat
    return [
        {"key": "i1", "status": "SAFE", "device_at": (T0 - 10 * H).isoformat()},  # stale
        {"key": "i2", "status": "SAFE"},
        {"key": "i3", "status": "NEED_HELP", "note": "under the stairs"},  # an alert: statements
        {"key": "i4", "status": "SAFE", "device_at": (T0 - 2 * H).isoformat()},  # held: older
        {"key": "i5", "status": "SAFE"},  # own SAFE after the call: clears it
        {"key": "i6", "status": "INJURED", "device_at": (T0 + 3 * H).isoformat()},  # re-timed
        {"key": "i7", "status": "SAFE", "area_id": team.shaar.pk},  # moves area (and mode)
        {"key": "i7", "status": "SAFE", "area_id": team.shaar.pk},  # replayed in the batch
        {"key": "i8", "status": "SAFE", "area_id": 10**9},  # refused: unknown area
        {"key": "i9", "status": "SAFE", "note": at()},
        # Held together (nothing reads between them): each column as the later one left it.
        {"key": "i10", "status": "SAFE", "device_at": (T0 + 5 * M).isoformat()},
        {"key": "i11", "status": "SAFE", "device_at": (T0 + 8 * M).isoformat()},
        {"key": "i12", "status": "NEED_HELP", "device_at": (T0 - 1 * H).isoformat()},  # older
    ]


def _snapshot(person: Person, seen: list[tuple[Any, ...]]) -> dict[str, Any]:
    person = Person.objects.get(pk=person.pk)
    checkins = list(CheckIn.objects.filter(person=person).order_by("id"))
    ids = [c.pk for c in checkins]
    return {
        "person": (
            person.state,
            person.state_basis,
            person.state_at,
            ids.index(person.state_checkin_id) if person.state_checkin_id in ids else None,
            person.heard_at,
            person.next_due_at,
            person.is_overdue,
            person.area_id,
            person.contact_since_decision_at,
        ),
        "checkins": [
            (c.status, c.basis, c.effective_at, c.is_held, c.counts_as_heard, c.is_time_flagged)
            + (str(c.note), c.area_id)
            for c in checkins
        ],
        "alerts": sorted(Alert.objects.filter(person=person).values_list("kind", "state")),
        # Which check-in closed each escalation (alerts' hook reads is_overdue to decide).
        "escalations": sorted(
            (
                (e.closed_at, ids.index(e.closed_by_checkin_id) if e.closed_by_checkin_id else None)
                for e in Escalation.objects.filter(person=person)
            ),
            key=str,
        ),
        "seen": list(seen),
    }


class _Rollback(Exception):
    pass


def _both_ways(
    team: Any, token: str, watching: bool
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    seen: list[tuple[Any, ...]] = []

    def watch(*, checkin: Any, person: Person) -> None:
        # Reads the deadline and flag while the check-in is recorded, as any receiver may.
        seen.append((checkin.status, person.next_due_at, person.is_overdue, person.state))

    if watching:
        hooks.checkin_recorded.register(watch)
    try:
        client, items = Client(), _items(team)
        auth = {"Authorization": f"Bearer {token}"}
        results: dict[str, Any] = {}
        try:
            with transaction.atomic():
                response = client.post(
                    "/api/checkins/batch",
                    json.dumps({"items": items}),
                    content_type="application/json",
                    headers=auth,
                )
                assert response.status_code == 200, response.content
                batch_answers = [(r["status"], r["replayed"]) for r in response.json()["results"]]
                results["batch"] = _snapshot(team.staff, seen)
                raise _Rollback
        except _Rollback:
            pass
        seen.clear()
        single_answers = []
        for item in items:
            body = {k: v for k, v in item.items() if k != "key"}
            response = client.post(
                "/api/checkins",
                json.dumps(body),
                content_type="application/json",
                headers={**auth, "Idempotency-Key": item["key"]},
            )
            single_answers.append(
                (response.status_code, response.get("Idempotent-Replayed") == "true")
            )
        results["single"] = _snapshot(team.staff, seen)
        assert batch_answers == single_answers
        return results["batch"], results["single"], batch_answers
    finally:
        if watching:
            hooks.checkin_recorded.receivers.remove(watch)


def _token(world: Any) -> str:
    return create_token(user=world.users["staff"], org=world.org, name="phone")  # K10's


@pytest.mark.parametrize("watching", [False, True], ids=["alone", "watched"])
@pytest.mark.parametrize("mode", ["none", "area", "organisation", "overdue"])
def test_a_batch_leaves_what_the_same_check_ins_one_by_one_leave(
    frozen: Any, world: Any, team: Any, mode: str, watching: bool
) -> None:
    if mode == "area":
        services.set_heightened(org=team.org, areas=[team.sukkari])
    elif mode == "organisation":
        services.set_heightened(org=team.org)
    elif mode == "overdue":
        # A stale contact while heightened: the overdue flag then depends on the mode (decided
        # in SQL), and the receiver reads it.
        Person.objects.filter(pk=team.staff.pk).update(
            heard_at=T0 - 40 * H, next_due_at=T0 - 15 * H, is_overdue=True
        )
        services.set_heightened(org=team.org, areas=[team.sukkari])
        Escalation.objects.create(org=team.org, person=team.staff)
    batch, single, answers = _both_ways(team, _token(world), watching)
    assert [status for status, _replayed in answers] == [201] * 7 + [201, 422] + [201] * 4
    assert [replayed for _status, replayed in answers].index(True) == 7
    assert batch == single
    assert len(batch["checkins"]) == 11


def test_the_batch_is_one_write_for_all_its_items_on_postgresql(
    frozen: Any, world: Any, team: Any
) -> None:
    """Under heightened mode too (the deadline decided in the batch's one UPDATE)."""
    from django.test.utils import CaptureQueriesContext

    services.set_heightened(org=team.org, areas=[team.sukkari])
    token = _token(world)
    items = [{"key": f"w{i}", "status": "SAFE"} for i in range(12)]
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(
            "/api/checkins/batch",
            json.dumps({"items": items}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert [r["status"] for r in response.json()["results"]] == [201] * 12
    writes = [q["sql"] for q in queries.captured_queries if "safety_checkin" in q["sql"]]
    writes = [sql for sql in writes if sql.startswith(("INSERT", "WITH"))]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 12)
    person = Person.objects.get(pk=team.staff.pk)
    assert person.next_due_at == T0 + 7 * H  # heightened: 6 h + 1 h grace
    assert person.state_checkin_id == max(r["checkin"]["id"] for r in response.json()["results"])
