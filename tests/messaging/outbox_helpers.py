"""Fixtures for the outbox tests: a frozen clock, a console sink in a temporary directory, and
people with phones in the test organisation."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from salama.messaging import channels
from salama.messaging.channels.base import Channel
from salama.people.models import ContactPoint, Person
from salama.people.services import add_contact_point

T0 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sink(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "console.jsonl"
    settings.OUTBOX_CONSOLE_SINK = str(path)
    return path


@pytest.fixture
def temp_channel() -> Iterator[Any]:
    """Register channels for one test and remove them after."""
    added: list[str] = []

    def register(channel: Channel) -> Channel:
        channels.register(channel)
        added.append(channel.name)
        return channel

    yield register
    for name in added:
        channels.REGISTRY.pop(name, None)


@dataclass
class Phones:
    k1: Person
    k2: Person
    k1_phone: ContactPoint
    k2_phone: ContactPoint
    ward: ContactPoint  # shared by k1 and k2
    k1_mail: ContactPoint


def make_phones(world: Any) -> Phones:
    org = world.org
    k1 = Person.objects.create(org=org, codename="K1", role="nurse", language="ar")
    k2 = Person.objects.create(org=org, codename="K2", role="doctor", language="en")
    return Phones(
        k1=k1,
        k2=k2,
        k1_phone=add_contact_point(org=org, kind="sms", value="+963944000301", persons=[k1]),
        k2_phone=add_contact_point(org=org, kind="sms", value="+963944000302", persons=[k2]),
        ward=add_contact_point(
            org=org, kind="sms", value="+963944000399", persons=[k1, k2], is_shared=True
        ),
        k1_mail=add_contact_point(org=org, kind="email", value="k1@example.org", persons=[k1]),
    )


@pytest.fixture
def phones(world: Any) -> Phones:
    return make_phones(world)
