"""The fault tests' checkers must fail when something is lost or duplicated, and the framework
floor of the benchmarks must never be part of a deployment."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from bench.fixtures import make_org
from faults import db as checker
from salama.people.models import Person
from salama.safety.services import record_checkin

pytestmark = pytest.mark.django_db


def test_framework_floor_is_not_installed_without_its_variable() -> None:
    assert "salama.bench_floor" not in settings.INSTALLED_APPS
    with pytest.raises(Resolver404):
        resolve("/bench-floor/row")


def _acks(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _checkin(code: str, key: str) -> int:
    person = Person.objects.get(codename=code)
    return record_checkin(person=person, status="SAFE", basis="self", channel="api", note=key).pk


def test_checkin_checker_holds_when_every_ack_is_stored_once(tmp_path: Path) -> None:
    make_org(2)
    first = _checkin("S000000", "k1")
    acks = _acks(tmp_path / "a.jsonl", [{"key": "k1", "outcome": "ack", "id": first}])
    result = checker.check_checkins(acks)
    assert result["acknowledged"] == 1 and result["violations"] == []


def test_checkin_checker_flags_a_lost_ack_and_a_duplicate(tmp_path: Path) -> None:
    make_org(2)
    stored = _checkin("S000000", "k1")
    _checkin("S000001", "k1")  # the same request stored twice
    acks = _acks(
        tmp_path / "a.jsonl",
        [
            {"key": "k1", "outcome": "ack", "id": stored},
            {"key": "k2", "outcome": "ack", "id": stored + 100},  # acknowledged, not stored
        ],
    )
    result = checker.check_checkins(acks)
    assert result["lost"] == 1
    assert result["duplicate_rows"] == 1
    assert len(result["violations"]) == 2


def test_outbox_checker_flags_lost_and_unlogged_duplicates(tmp_path: Path) -> None:
    queued = checker.queue_outbox(4)
    from salama.messaging.models import Delivery

    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids[:3]).update(state="sent")
    sink = tmp_path / "sink.jsonl"
    lines = [{"org": queued["org_id"], "delivery": d} for d in (ids[0], ids[1], ids[1], ids[2])]
    sink.write_text("".join(json.dumps(x) + "\n" for x in lines))
    log = tmp_path / "worker.log"
    log.write_text("")
    result = checker.check_outbox(sink, [log])
    assert result["lost"] == 1 and result["not_sent"] == 1
    assert result["duplicate_handoffs"] == 1
    assert any("not logged" in v for v in result["violations"])
    reclaim = {"action": "outbox.reclaim", "delivery": ids[1], "msg": "between 03:00 and 03:01"}
    log.write_text(json.dumps(reclaim) + "\n")
    assert checker.check_outbox(sink, [log])["duplicate_windows"] == {
        str(ids[1]): ["between 03:00 and 03:01"]
    }
