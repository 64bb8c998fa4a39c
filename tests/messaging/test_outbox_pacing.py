"""The outbox's pace (issue B2): a channel's bucket sustains its configured rate whatever the
moments the worker looks at it, the idle worker wakes when the next token is due, and a channel
whose hand-offs may run at once (the SMS gateways) has several under way, recorded in batches.
Time is simulated (a frozen clock moved by the test); nothing here asserts on wall time."""

import random
import signal
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from salama.lib import clock
from salama.messaging import outbox
from salama.messaging.buckets import take_tokens
from salama.messaging.channels.base import Channel, PermanentError, TemporaryError
from salama.messaging.models import Delivery, DeliveryState, Priority, RateBucket
from salama.worker import loop
from tests.messaging import outbox_helpers, text_helpers

frozen = outbox_helpers.frozen
sink = outbox_helpers.sink
phones = outbox_helpers.phones
temp_channel = outbox_helpers.temp_channel
roster = text_helpers.roster

pytestmark = pytest.mark.django_db


def make_bucket(channel: str, per_second: float, capacity: float) -> None:
    RateBucket.objects.update_or_create(
        channel=channel,
        defaults={
            "refill_per_second": per_second,
            "capacity": capacity,
            "tokens": capacity,
            "updated_at": clock.now(),
        },
    )


def grants_over(frozen: Any, channel: str, gaps: list[float]) -> list[tuple[float, int]]:
    """Look at the bucket after each gap (seconds), always wanting more than it holds; returns
    (seconds since the start, tokens granted) for every look that got some."""
    start = clock.now()
    granted = []
    for gap in gaps:
        got = take_tokens(channel, 1000)
        if got:
            granted.append(((clock.now() - start).total_seconds(), got))
        frozen.shift(timedelta(seconds=gap))
    return granted


# --- The bucket -------------------------------------------------------------------------------


def test_irregular_looks_at_a_phones_pace_get_the_configured_rate(frozen) -> None:
    # A phone: 0.5 a second, a burst of one. Looks 0.5-0.9 s apart (a worker busy with other
    # jobs): the old bucket threw away what accrued between the token filling and the next look
    # (about 25 a minute instead of 30).
    make_bucket("phone", 0.5, 1)
    gaps = [random.Random(7).uniform(0.5, 0.9) for _ in range(1000)]
    grants = grants_over(frozen, "phone", gaps)
    span = grants[-1][0]
    assert span > 600
    assert all(count == 1 for _at, count in grants)  # never more than the burst at once
    # The first token was there at the start; then one every two seconds.
    assert abs(sum(count for _at, count in grants) - (int(0.5 * span) + 1)) <= 1


def test_irregular_looks_at_a_fast_gateways_pace_get_the_configured_rate(frozen) -> None:
    make_bucket("gateway", 5.0, 10)
    rng = random.Random(11)
    gaps = [rng.uniform(0.05, 1.0) for _ in range(800)]
    grants = grants_over(frozen, "gateway", gaps)
    span = grants[-1][0]
    assert all(count <= 5 for _at, count in grants)  # one second of the rate a look
    total = sum(count for _at, count in grants)
    assert abs(total - (int(5.0 * span) + 10)) <= 5  # the burst, then the rate (within a look)


def test_after_an_idle_spell_the_burst_is_the_capacity(frozen) -> None:
    make_bucket("phone", 0.5, 1)
    assert take_tokens("phone", 10) == 1
    frozen.shift(timedelta(seconds=60))  # nothing to send for a minute
    assert take_tokens("phone", 10) == 1
    # The bucket was full long before this look: nothing of the minute is carried, so the next
    # token is two seconds away, not sooner.
    for _ in range(19):
        frozen.shift(timedelta(seconds=0.1))
        assert take_tokens("phone", 10) == 0
    frozen.shift(timedelta(seconds=0.1))
    assert take_tokens("phone", 10) == 1


def test_a_look_soon_after_the_token_filled_is_counted_from_when_it_filled(frozen) -> None:
    make_bucket("phone", 0.5, 1)
    assert take_tokens("phone", 10) == 1
    frozen.shift(timedelta(seconds=2.6))  # the token filled at 2.0; this look is 0.6 s late
    assert take_tokens("phone", 10) == 1
    frozen.shift(timedelta(seconds=1.35))  # 3.95: the next token is due at 4.0, not 4.6
    assert take_tokens("phone", 10) == 0
    frozen.shift(timedelta(seconds=0.05))
    assert take_tokens("phone", 10) == 1


# --- The worker wakes when the next token is due ------------------------------------------------


class Timed(Channel):
    """Records the (simulated) moment of each hand-off."""

    name = "timed"
    kinds = ("sms",)

    def __init__(self) -> None:
        self.at: list[datetime] = []

    def send(self, delivery: Any, message: Any, address: str) -> str:
        self.at.append(clock.now())
        return f"t{delivery.pk}"


def queue_on(world: Any, point: Any, count: int, priority: int = Priority.NORMAL) -> None:
    for _ in range(count):
        message = outbox.queue_message(
            org=world.org,
            contact_point=point,
            template="reply_ok",
            context={"time": clock.now()},
            priority=priority,
            reason="reply",
        )
        assert message is not None


@pytest.fixture
def worker_signals(monkeypatch) -> Iterator[None]:
    """The loop run in the test's transaction: its signal handlers restored after, and its
    per-pass connection check left out (it would close the test's connection on PostgreSQL)."""
    monkeypatch.setattr(loop, "close_old_connections", lambda: None)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_the_idle_worker_wakes_when_the_next_token_is_due(
    world, phones, frozen, temp_channel, monkeypatch, settings, tmp_path, worker_signals
) -> None:
    timed = temp_channel(Timed())
    world.org.settings = {"sms_channel": "timed"}
    world.org.save()
    queue_on(world, phones.k1_phone, 4)
    make_bucket("timed", 0.4, 1)  # a token every 2.5 s
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        frozen.shift(timedelta(seconds=seconds))

    settings.WORKER_LOCK_FILE = tmp_path / "worker.lock"
    monkeypatch.setattr(loop, "_sleep", sleep)
    monkeypatch.setattr(loop, "JOBS", [outbox.dispatch_outbox])
    start = clock.now()
    loop.run_forever(idle_sleep=1.0, max_passes=40)
    moments = [(at - start).total_seconds() for at in timed.at]
    # A worker sleeping whole seconds would look at 3, 6, 9: here each text goes when its token
    # is due.
    assert moments == pytest.approx([0, 2.5, 5.0, 7.5], abs=0.02)
    assert max(slept) <= 1.0 and 0.5 in slept


def test_without_work_due_the_worker_sleeps_its_idle_sleep(
    world, frozen, monkeypatch, settings, tmp_path, worker_signals
) -> None:
    slept: list[float] = []
    settings.WORKER_LOCK_FILE = tmp_path / "worker.lock"
    monkeypatch.setattr(loop, "_sleep", slept.append)
    monkeypatch.setattr(loop, "JOBS", [outbox.dispatch_outbox])
    loop.run_forever(idle_sleep=1.0, max_passes=3)
    assert slept == [1.0, 1.0, 1.0]


# --- Several hand-offs under way at once ------------------------------------------------------


class Parallel(Channel):
    """A channel whose hand-offs may run at once: each waits at a barrier for `width` others,
    so one after the other they would all time out (and fail)."""

    name = "parallel"
    kinds = ("sms",)
    concurrent = True

    def __init__(self, width: int, fail: dict[str, Exception] | None = None) -> None:
        self.barrier = threading.Barrier(width, timeout=10)
        self.lock = threading.Lock()
        self.started: list[int] = []
        self.fail = fail or {}

    def prepare(self, delivery: Any, message: Any, address: str) -> Any:
        self.started.append(delivery.pk)  # in claim order, in the worker's thread
        error = self.fail.get(address)

        def hand_off() -> str:
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                raise TemporaryError("not concurrent") from None
            if error is not None:
                raise error
            return f"p{delivery.pk}"

        return hand_off


def use_channel(world: Any, name: str) -> None:
    world.org.settings = {"sms_channel": name}
    world.org.save()


def test_a_concurrent_channel_has_several_hand_offs_under_way_and_records_each(
    world, phones, frozen, temp_channel, settings
) -> None:
    settings.OUTBOX_SEND_CONCURRENCY = 4
    parallel = temp_channel(Parallel(4))
    use_channel(world, "parallel")
    queue_on(world, phones.k1_phone, 8)
    make_bucket("parallel", 8, 8)
    assert outbox.dispatch_batch("parallel") == 8
    rows = list(Delivery.objects.filter(channel="parallel").order_by("pk"))
    assert [(d.state, d.handoffs, d.provider_ref) for d in rows] == [
        ("sent", 1, f"p{d.pk}") for d in rows
    ]
    assert all(d.lease_until is None and d.handed_off_at == clock.now() for d in rows)
    assert sorted(parallel.started) == [d.pk for d in rows]


def test_concurrent_hand_offs_start_life_safety_first_and_record_failures(
    world, phones, frozen, temp_channel, settings
) -> None:
    settings.OUTBOX_SEND_CONCURRENCY = 2
    gone = PermanentError("gateway 400")
    parallel = temp_channel(Parallel(2, fail={str(phones.ward.value): gone}))
    use_channel(world, "parallel")
    queue_on(world, phones.k1_phone, 2, Priority.BULK)
    queue_on(world, phones.k2_phone, 1, Priority.LIFE_SAFETY)
    queue_on(world, phones.ward, 1, Priority.BULK)
    make_bucket("parallel", 10, 10)
    assert outbox.dispatch_batch("parallel") == 4
    urgent = Delivery.objects.get(priority=Priority.LIFE_SAFETY)
    assert parallel.started[0] == urgent.pk
    states = {d.message.contact_point_id: d.state for d in Delivery.objects.all()}
    assert states[phones.ward.pk] == DeliveryState.DEAD
    assert states[phones.k2_phone.pk] == DeliveryState.SENT
    assert sorted(Delivery.objects.values_list("state", flat=True)) == [
        "dead",
        "sent",
        "sent",
        "sent",
    ]


def test_when_recording_fails_no_more_hand_offs_start(
    world, phones, frozen, temp_channel, settings, monkeypatch
) -> None:
    settings.OUTBOX_SEND_CONCURRENCY = 2
    parallel = temp_channel(Parallel(2))
    use_channel(world, "parallel")
    queue_on(world, phones.k1_phone, 10)
    make_bucket("parallel", 10, 10)

    def database_gone(sent: Any) -> Any:
        raise RuntimeError("connection lost")

    monkeypatch.setattr("salama.messaging.dispatch.mark_sent_many", database_gone)
    with pytest.raises(RuntimeError):
        outbox.dispatch_batch("parallel")
    # The two under way when recording failed were handed off; nothing more was started, and
    # the rest stay leased until their lease lapses (then claimed again, logged).
    assert len(parallel.started) == 2
    assert Delivery.objects.filter(state=DeliveryState.SENDING).count() == 10


def flaky_recording(monkeypatch: Any, failures: int) -> list[int]:
    """Make recording hand-offs fail `failures` times as a database that went away would, then
    work; returns the list of calls' sizes."""
    from django.db import OperationalError

    from salama.messaging import dispatch

    real = dispatch.mark_sent_many
    calls: list[int] = []

    def flaky(sent: Any) -> Any:
        calls.append(len(sent))
        if len(calls) <= failures:
            raise OperationalError("server closed the connection unexpectedly")
        return real(sent)

    monkeypatch.setattr(dispatch, "mark_sent_many", flaky)
    monkeypatch.setattr(dispatch, "RECORD_RETRY_PAUSE", 0)
    return calls


def test_hand_offs_are_recorded_once_the_database_is_back(
    world, phones, frozen, temp_channel, settings, monkeypatch
) -> None:
    settings.OUTBOX_SEND_CONCURRENCY = 2
    parallel = temp_channel(Parallel(2))
    use_channel(world, "parallel")
    queue_on(world, phones.k1_phone, 10)
    make_bucket("parallel", 10, 10)
    calls = flaky_recording(monkeypatch, failures=2)
    assert outbox.dispatch_batch("parallel") == 10
    # The two handed off are recorded once (not claimed again after the lease: no duplicate);
    # nothing more was started, and the rest went back to the queue unattempted.
    assert len(parallel.started) == 2 and len(calls) >= 3
    sent = Delivery.objects.filter(state=DeliveryState.SENT)
    assert sorted(sent.values_list("pk", flat=True)) == sorted(parallel.started)
    assert all(d.handoffs == 1 for d in sent)
    assert sorted(set(Delivery.objects.exclude(state=DeliveryState.SENT).values_list(
        "state", "attempts"))) == [("queued", 0)]  # fmt: skip


def test_one_at_a_time_a_hand_off_is_recorded_once_the_database_is_back(
    world, phones, frozen, sink, monkeypatch
) -> None:
    queue_on(world, phones.k1_phone, 3)
    make_bucket("console", 10, 10)
    flaky_recording(monkeypatch, failures=1)
    assert outbox.dispatch_batch("console") == 3
    assert sorted(Delivery.objects.values_list("state", "handoffs")) == [("sent", 1)] * 3
    assert len(sink.read_text().splitlines()) == 3  # each handed off once


def test_a_concurrent_batch_gives_back_what_it_cannot_start_within_its_lease(
    world, phones, frozen, temp_channel, settings
) -> None:
    settings.OUTBOX_SEND_CONCURRENCY = 4

    class SlowToPrepare(Parallel):
        name = "slowprep"

        def prepare(self, delivery: Any, message: Any, address: str) -> Any:
            frozen.shift(timedelta(seconds=20))
            return lambda: "ok"

    temp_channel(SlowToPrepare(1))
    use_channel(world, "slowprep")
    queue_on(world, phones.k1_phone, 5)
    make_bucket("slowprep", 10, 10)
    assert outbox.dispatch_batch("slowprep") == 5
    states = sorted(Delivery.objects.values_list("state", "attempts"))
    # 60 s lease, 15 s margin: three start, the other two go back unattempted.
    assert states == [("queued", 0), ("queued", 0), ("sent", 1), ("sent", 1), ("sent", 1)]


class BarrierGateway:
    """A JSON gateway on 127.0.0.1 that answers only when `width` sends are under way at once
    (else 503 after its wait), recording each reference it accepted."""

    def __init__(self, width: int) -> None:
        barrier = threading.Barrier(width, timeout=10)
        self.accepted: list[str] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                import json

                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                try:
                    barrier.wait()
                except threading.BrokenBarrierError:
                    self.send_response(503)
                    self.end_headers()
                    return
                gateway.accepted.append(data["reference"])
                payload = json.dumps({"id": "gw-" + data["reference"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_json_gateway_gets_several_posts_at_once(roster, settings) -> None:
    settings.OUTBOX_SEND_CONCURRENCY = 3
    server = BarrierGateway(3)
    try:
        text_helpers.json_gateway(roster.org, server.url)
        for who in ("k1", "lead", "k3"):
            outbox.queue_message(
                org=roster.org,
                contact_point=roster.points[who],
                template="reminder",
                context={},
                priority=Priority.NORMAL,
                reason="test",
            )
        make_bucket("http_json", 10, 10)
        assert outbox.dispatch_batch("http_json") == 3
    finally:
        server.close()
    rows = list(Delivery.objects.filter(channel="http_json"))
    assert sorted(server.accepted) == sorted(d.our_ref for d in rows)
    assert all(d.state == "sent" and d.provider_ref == f"gw-{d.our_ref}" for d in rows)
