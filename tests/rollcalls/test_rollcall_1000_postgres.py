"""The issue's run: a roll call to 1,000 recipients, 50 of them on 10 shared numbers, through the
JSON HTTP gateway against a local server on 127.0.0.1; the worker (a `salama worker` process) is
killed with SIGKILL in the middle of the send and restarted. Every recipient is reached at least
once, and every answer (each posted twice, as gateways do) is counted once."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from salama.lib import clock
from salama.messaging.inbound import receive
from salama.messaging.models import Delivery, RateBucket
from salama.people.models import Person
from salama.people.services import add_contact_point
from salama.rollcalls import services
from salama.rollcalls.models import RollCallRecipient, Timing
from salama.safety.models import CheckIn
from tests.conftest import build_world
from tests.messaging.test_outbox_postgres import start_worker, stop, wait_until, worker_env
from tests.messaging.text_helpers import LocalGateway, json_gateway

pytestmark = pytest.mark.postgres


@pytest.fixture
def committed_world(transactional_db: None) -> Any:
    return build_world()


def _roster(org: Any) -> tuple[list[str], dict[str, list[Person]]]:
    persons = Person.objects.bulk_create(
        [Person(org=org, codename=f"N{i}", role="nurse", language="en") for i in range(1000)]
    )
    own = []
    for i, person in enumerate(persons[:950]):
        own.append(f"+9639450{i:05d}")
        add_contact_point(org=org, kind="sms", value=own[-1], persons=[person])
    shared: dict[str, list[Person]] = {}
    for n in range(10):
        group = persons[950 + n * 5 : 955 + n * 5]
        number = f"+9639451{n:05d}"
        add_contact_point(org=org, kind="sms", value=number, persons=group, is_shared=True)
        shared[number] = group
    return own, shared


def test_roll_call_to_1000_survives_a_killed_worker(committed_world: Any, tmp_path: Path) -> None:
    org = committed_world.org
    server = LocalGateway()
    server.delay = 0.004  # a gateway that takes a moment: the kill lands mid-send
    try:
        json_gateway(org, server.url)
        RateBucket.objects.update_or_create(
            channel="http_json",
            defaults={"capacity": 200.0, "refill_per_second": 200.0, "tokens": 200.0},
        )
        own, shared = _roster(org)
        roll_call = services.open_roll_call(
            org=org, question="Are you well?", target=services.Target(everyone=True),
            deadline_at=clock.now() + timedelta(hours=1),
        )  # fmt: skip
        ours = Delivery.objects.filter(message__reason=f"rollcall:{roll_call.number}")
        assert ours.count() == 960  # 950 own numbers and each shared number once

        env = worker_env(tmp_path, tmp_path / "sink.jsonl", SALAMA_OUTBOX_LEASE_SECONDS="4")
        first = start_worker(env, tmp_path / "worker1.log")
        wait_until(lambda: ours.filter(handed_off_at__isnull=False).count() >= 250, 120,
                   "the first hand-offs")  # fmt: skip
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=15)
        assert ours.filter(handed_off_at__isnull=True).count() > 0, "killed too late"
        second = start_worker(env, tmp_path / "worker2.log")
        try:
            wait_until(lambda: not ours.filter(handed_off_at__isnull=True).exists(), 180,
                       "every hand-off after the restart")  # fmt: skip
        finally:
            assert stop(second) == 0

        reached = Counter(text["to"] for text in server.texts)
        assert set(reached) == set(own) | set(shared)  # everyone reached at least once

        for i, number in enumerate(own):
            for _repeat in range(2):  # the gateway posts each text twice
                receive(org=org, channel="http_json", sender=number, body="1",
                        gateway_ref=f"o{i}", sent_at=clock.now())  # fmt: skip
        for n, (number, group) in enumerate(shared.items()):
            codes = " ".join(p.codename for p in group)
            for _repeat in range(2):
                receive(org=org, channel="http_json", sender=number, body=f"1 {codes}",
                        gateway_ref=f"s{n}", sent_at=clock.now())  # fmt: skip
        rows = RollCallRecipient.objects.filter(roll_call=roll_call)
        assert rows.filter(timing=Timing.COUNTED, option=1).count() == 1000
        assert CheckIn.objects.filter(channel="roll_call").count() == 1000
    finally:
        server.close()
