"""Real workers on PostgreSQL: separate processes and connections draining one outbox.

- two workers drain 10,000 deliveries to the console channel, and no delivery is handed off
  twice (the hand-off counters and the console sink agree);
- a worker killed (SIGKILL) in the middle of a batch loses nothing: its leases lapse and another
  worker sends what it held.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from salama.lib.fields import seal
from salama.messaging.models import Delivery, DeliveryState, Message, Priority, RateBucket
from salama.people.services import add_contact_point
from tests.conftest import build_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def committed_world(transactional_db: None) -> Any:
    return build_world()


def fill_outbox(world: Any, count: int) -> list[str]:
    org = world.org
    point = add_contact_point(org=org, kind="sms", value="+963944000777")
    body = seal(org.pk, "Reply 1 if you are well.")
    messages = Message.objects.bulk_create(
        [
            Message(
                org=org,
                priority=Priority.BULK if i % 10 else Priority.LIFE_SAFETY,
                template="reminder",
                language="en",
                body=body,
                contact_point=point,
                reason="test",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(
                org=org,
                message=m,
                channel="console",
                priority=m.priority,
                our_ref=f"ref{m.pk:08d}",
            )
            for m in messages
        ],
        batch_size=2000,
    )
    return [d.our_ref for d in deliveries]


def set_rate(per_second: float) -> None:
    RateBucket.objects.update_or_create(
        channel="console",
        defaults={"capacity": per_second, "refill_per_second": per_second, "tokens": per_second},
    )


def worker_env(tmp_path: Path, sink: Path, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SALAMA_VAR_DIR": str(tmp_path / "var"),
        "SALAMA_KEYRING_DIR": str(settings.KEYRING_DIR),
        "SALAMA_CONSOLE_SINK": str(sink),
        "SALAMA_LOG_LEVEL": "WARNING",
        **extra,
    }


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "salama.cli", "worker"], env=env, stdout=out, stderr=out
        )


def pending() -> int:
    return Delivery.objects.exclude(state=DeliveryState.SENT).count()


def wait_until(condition: Any, timeout: float, what: str, every: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=15)


def sink_lines(sink: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in sink.read_text().splitlines()] if sink.exists() else []


def test_two_workers_drain_10000_deliveries_without_a_duplicate(
    committed_world: Any, tmp_path: Path
) -> None:
    refs = fill_outbox(committed_world, 10_000)
    set_rate(2000)
    sink = tmp_path / "console.jsonl"
    env = worker_env(tmp_path, sink, SALAMA_OUTBOX_BATCH="200")
    workers = [start_worker(env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        wait_until(lambda: pending() == 0, 120, "the outbox to drain")
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0], "the workers did not stop cleanly on SIGTERM"
    assert not Delivery.objects.exclude(handoffs=1).exists()
    lines = sink_lines(sink)
    counts = Counter(line["ref"] for line in lines)
    assert len(lines) == 10_000 and set(counts) == set(refs) and max(counts.values()) == 1
    assert len({line["pid"] for line in lines}) == 2, "both workers should have sent"
    # Life-safety rows (every tenth) are claimed ahead of bulk ones: each worker sends all of
    # its life-safety rows before its first bulk row. (Across the two workers the sink lines
    # interleave, so the global order proves nothing.)
    priority = dict(Delivery.objects.values_list("our_ref", "priority"))
    lowest = min(priority.values())
    assert sum(1 for p in priority.values() if p == lowest) == 1000
    for pid in {line["pid"] for line in lines}:
        urgent = [priority[line["ref"]] == lowest for line in lines if line["pid"] == pid]
        assert urgent == sorted(urgent, reverse=True), "a life-safety row was sent after bulk"
    assert "duplicate hand-off" not in "".join(
        (tmp_path / f"worker{i}.log").read_text() for i in range(2)
    )


def test_a_worker_killed_mid_batch_loses_nothing(committed_world: Any, tmp_path: Path) -> None:
    refs = fill_outbox(committed_world, 1500)
    set_rate(300)
    sink = tmp_path / "console.jsonl"
    env = worker_env(tmp_path, sink, SALAMA_OUTBOX_BATCH="100", SALAMA_OUTBOX_LEASE_SECONDS="2")
    first = start_worker(env, tmp_path / "first.log")
    try:
        wait_until(
            lambda: sink.exists() and Delivery.objects.filter(state=DeliveryState.SENDING).exists(),
            60,
            "the first worker to be in the middle of a batch",
            every=0.005,
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    stranded = set(
        Delivery.objects.filter(state=DeliveryState.SENDING).values_list("our_ref", flat=True)
    )
    assert stranded, "the kill should have left leased deliveries behind"
    second = start_worker(env, tmp_path / "second.log")
    try:
        wait_until(lambda: pending() == 0, 120, "the second worker to drain the outbox")
    finally:
        assert stop(second) == 0
    counts = Counter(line["ref"] for line in sink_lines(sink))
    assert set(counts) == set(refs), "a delivery was lost"
    # Only a delivery the killed worker held can have gone out twice (handed off, not recorded).
    assert {ref for ref, n in counts.items() if n > 1} <= stranded
    assert "outbox.reclaim" in (tmp_path / "second.log").read_text()
