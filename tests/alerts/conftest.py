"""Alerts fixtures: the shared roster, a duty rota (coordinator on duty now, coordinator2 next),
a console sink to read what went out on the wire, and helpers to run the worker jobs."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from salama.accounts.models import Membership
from salama.alerts.models import Shift
from salama.messaging.models import Message
from salama.messaging.outbox import dispatch_outbox
from salama.people.models import ContactPoint
from salama.people.services import add_contact_point

# 03:00 in Damascus (UTC+3).
T0 = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
COORDINATOR2_NUMBER = "+963944000902"


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sink(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "console.jsonl"
    settings.OUTBOX_CONSOLE_SINK = str(path)
    return path


def wire(sink: Path) -> list[dict[str, Any]]:
    """Everything the console channel handed off, in order."""
    if not sink.exists():
        return []
    return [json.loads(line) for line in sink.read_text().splitlines() if line.strip()]


def drain() -> None:
    for _ in range(20):
        if not dispatch_outbox():
            return


def member(world: Any, name: str) -> Membership:
    return Membership.objects.get(user=world.users[name], org=world.org)


@dataclass
class Rota:
    coordinator: Membership
    coordinator2: Membership
    coordinator2_phone: ContactPoint
    now_shift: Shift
    next_shift: Shift


def make_rota(world: Any, roster: Any, start: datetime) -> Rota:
    c1, c2 = member(world, "coordinator"), member(world, "coordinator2")
    phone2 = add_contact_point(org=world.org, kind="sms", value=COORDINATOR2_NUMBER, membership=c2)
    now_shift = Shift.objects.create(
        org=world.org,
        membership=c1,
        starts_at=start - timedelta(hours=2),
        ends_at=start + timedelta(hours=6),
        time_zone="Europe/London",
    )
    next_shift = Shift.objects.create(
        org=world.org,
        membership=c2,
        starts_at=start + timedelta(hours=6),
        ends_at=start + timedelta(hours=14),
        time_zone="Asia/Damascus",
    )
    return Rota(c1, c2, phone2, now_shift, next_shift)


@pytest.fixture
def rota(world: Any, roster: Any, frozen: Any) -> Rota:
    return make_rota(world, roster, T0)


def bodies(org: Any) -> list[str]:
    return [str(m.body) for m in Message.objects.for_org(org)]
