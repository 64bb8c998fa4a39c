"""The outbox: queueing in the caller's transaction, claim order, rate buckets, leases, backoff,
dead letters and retries."""

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from salama.lib import clock
from salama.messaging import outbox
from salama.messaging.channels.base import Channel, PermanentError, TemporaryError
from salama.messaging.models import (
    Delivery,
    DeliveryState,
    Message,
    MessageTemplate,
    Priority,
    RateBucket,
)
from tests.messaging import outbox_helpers

frozen = outbox_helpers.frozen
sink = outbox_helpers.sink
phones = outbox_helpers.phones
temp_channel = outbox_helpers.temp_channel

pytestmark = pytest.mark.django_db


def queue(world: Any, point: Any, priority: int = Priority.NORMAL, **extra: Any) -> Message:
    message = outbox.queue_message(
        org=world.org,
        contact_point=point,
        template=extra.pop("template", "reply_ok"),
        context=extra.pop("context", {"time": clock.now()}),
        priority=priority,
        reason=extra.pop("reason", "reply"),
        **extra,
    )
    assert message is not None
    return message


def set_bucket(channel: str, per_second: float, tokens: float | None = None) -> None:
    bucket = outbox.bucket_for(channel)
    bucket.refill_per_second = per_second
    bucket.capacity = max(per_second, tokens or 0)
    bucket.tokens = per_second if tokens is None else tokens
    bucket.updated_at = clock.now()
    bucket.save()


class Failing(Channel):
    name = "failing"
    kinds = ("sms",)

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def send(self, delivery: Any, message: Any, address: str) -> str:
        self.calls += 1
        raise self.error


class Recording(Channel):
    name = "recording"
    kinds = ("sms", "email")

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, delivery: Any, message: Any, address: str) -> str:
        self.sent.append(delivery.pk)
        return f"r{delivery.pk}"


def test_queue_renders_the_default_in_the_persons_language(world, phones, frozen) -> None:
    arabic = queue(world, phones.k1_phone)
    english = queue(world, phones.k2_phone)
    assert arabic.language == "ar" and english.language == "en"
    assert english.body == "Received 06:00"  # 03:00 UTC in Asia/Damascus (UTC+3)
    assert "06:00" in arabic.body and arabic.body != english.body
    delivery = arabic.deliveries.get()
    assert delivery.channel == "console" and delivery.state == DeliveryState.QUEUED
    assert delivery.priority == Priority.NORMAL and len(delivery.our_ref) >= 16


def test_membership_user_language_when_no_person(world, frozen) -> None:
    from salama.people.services import add_contact_point

    membership = world.users["coordinator"].memberships.get(org=world.org)
    world.users["coordinator"].language = "en"
    world.users["coordinator"].save()
    point = add_contact_point(
        org=world.org, kind="sms", value="+963944000501", membership=membership
    )
    assert queue(world, point).language == "en"


def test_email_goes_to_the_smtp_channel(world, phones, frozen) -> None:
    assert queue(world, phones.k1_mail).deliveries.get().channel == "smtp"


def test_organisation_wording_overrides_the_default(world, phones, frozen) -> None:
    MessageTemplate.objects.create(
        org=world.org, key="reply_ok", language="en", body="Got it {time}"
    )
    assert queue(world, phones.k2_phone).body == "Got it 06:00"


def test_the_body_is_encrypted_at_rest(world, phones, frozen) -> None:
    message = queue(world, phones.k2_phone)
    raw = Message.objects.filter(pk=message.pk).values_list("body", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message WHERE id = %s", [message.pk])
        stored = cursor.fetchone()[0]
    assert "Received" not in stored and raw


def test_queue_is_part_of_the_callers_transaction(world, phones, frozen) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(world, phones.k2_phone)
        raise RuntimeError("the cause failed")
    assert not Message.objects.exists() and not Delivery.objects.exists()


def test_claim_takes_life_safety_before_bulk(world, phones, frozen) -> None:
    bulk = [queue(world, phones.k1_phone, Priority.BULK) for _ in range(3)]
    normal = queue(world, phones.k1_phone, Priority.NORMAL)
    urgent = queue(world, phones.k2_phone, Priority.LIFE_SAFETY)
    claimed = outbox.claim(channel="console", limit=2)
    assert [d.message_id for d in claimed] == [urgent.pk, normal.pk]
    assert all(d.state == DeliveryState.SENDING and d.lease_until for d in claimed)
    rest = outbox.claim(channel="console", limit=10)
    assert [d.message_id for d in rest] == [m.pk for m in bulk]
    assert outbox.claim(channel="console", limit=10) == []


def test_life_safety_lane_claims_only_life_safety(world, phones, frozen) -> None:
    queue(world, phones.k1_phone, Priority.BULK)
    urgent = queue(world, phones.k2_phone, Priority.LIFE_SAFETY)
    claimed = outbox.claim(channel="console", limit=10, max_priority=Priority.LIFE_SAFETY)
    assert [d.message_id for d in claimed] == [urgent.pk]


def test_life_safety_is_sent_before_another_channels_bulk_batch(
    world, phones, frozen, sink, temp_channel
) -> None:
    recording = temp_channel(Recording())
    world.org.settings = {"sms_channel": "recording"}
    world.org.save()
    for _ in range(3):
        queue(world, phones.k1_phone, Priority.BULK)
    world.org.settings = {}
    world.org.save()
    urgent = queue(world, phones.k2_phone, Priority.LIFE_SAFETY)
    set_bucket("recording", 10)
    set_bucket("console", 10)
    # The channels are visited in registry order; the console's life-safety message goes in
    # the lane before the recording channel's bulk batch whatever that order is.
    assert outbox.dispatch_outbox()
    lines = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [line["delivery"] for line in lines] == [urgent.deliveries.get().pk]
    assert len(recording.sent) == 3


def test_a_batch_never_claims_more_than_one_second_of_rate(world, phones, frozen, sink) -> None:
    for _ in range(12):
        queue(world, phones.k1_phone, Priority.BULK)
    set_bucket("console", 5, tokens=50)  # a full bucket still gives one second per batch
    assert outbox.dispatch_batch("console") == 5
    assert outbox.dispatch_batch("console") == 5
    assert len(sink.read_text().splitlines()) == 10


def test_the_bucket_empties_and_refills_with_time(world, phones, frozen, sink) -> None:
    for _ in range(12):
        queue(world, phones.k1_phone, Priority.BULK)
    set_bucket("console", 4)
    assert outbox.dispatch_batch("console") == 4
    assert outbox.dispatch_batch("console") == 0  # no time passed: no tokens
    frozen.shift(timedelta(seconds=0.5))
    assert outbox.dispatch_batch("console") == 2
    frozen.shift(timedelta(seconds=10))  # capped at capacity (4), and one second per batch
    assert outbox.dispatch_batch("console") == 4
    assert RateBucket.objects.get(channel="console").tokens == pytest.approx(0)


def test_unused_tokens_are_given_back(world, phones, frozen, sink) -> None:
    queue(world, phones.k1_phone)
    set_bucket("console", 10)
    assert outbox.dispatch_batch("console") == 1
    assert RateBucket.objects.get(channel="console").tokens == pytest.approx(9)


def test_an_expired_lease_returns_the_row_and_is_logged(world, phones, frozen, caplog) -> None:
    message = queue(world, phones.k1_phone)
    first = outbox.claim(channel="console", limit=5)
    assert len(first) == 1
    assert outbox.claim(channel="console", limit=5) == []  # leased
    frozen.shift(timedelta(seconds=61))
    with caplog.at_level(logging.WARNING, logger="salama.messaging"):
        again = outbox.claim(channel="console", limit=5)
    assert [d.message_id for d in again] == [message.pk]
    assert again[0].attempts == 2 and again[0].lapsed_lease_until == first[0].lease_until
    record = next(r for r in caplog.records if getattr(r, "action", "") == "outbox.reclaim")
    assert record.delivery == first[0].pk and "03:00:00" in record.getMessage()
    assert "03:01:00" in record.getMessage()
    assert "+963" not in caplog.text


def test_a_late_worker_cannot_record_a_failure_over_the_new_lease(world, phones, frozen) -> None:
    queue(world, phones.k1_phone)
    stale = outbox.claim(channel="console", limit=1)[0]
    frozen.shift(timedelta(seconds=61))
    fresh = outbox.claim(channel="console", limit=1)[0]
    outbox.record_failure(stale, "smtp 451", permanent=True)
    fresh.refresh_from_db()
    assert fresh.state == DeliveryState.SENDING


def test_a_second_handoff_is_counted_and_logged(world, phones, frozen, sink, caplog) -> None:
    queue(world, phones.k1_phone)
    stale = outbox.claim(channel="console", limit=1)[0]
    frozen.shift(timedelta(seconds=61))
    fresh = outbox.claim(channel="console", limit=1)[0]
    assert outbox.mark_sent(fresh, "p1") == 1
    frozen.shift(timedelta(seconds=5))
    with caplog.at_level(logging.WARNING, logger="salama.messaging"):
        assert outbox.mark_sent(stale, "p2") == 2  # the slow worker's hand-off finished too
    record = next(r for r in caplog.records if getattr(r, "action", "") == "outbox.duplicate")
    assert record.delivery == fresh.pk and "03:01:01" in record.getMessage()
    fresh.refresh_from_db()
    assert fresh.state == DeliveryState.SENT and fresh.handoffs == 2


def test_dispatch_writes_the_console_sink_and_marks_sent(world, phones, frozen, sink) -> None:
    message = queue(world, phones.k2_phone)
    assert outbox.dispatch_outbox()
    [line] = [json.loads(x) for x in sink.read_text().splitlines()]
    delivery = message.deliveries.get()
    assert line["to"] == "+963944000302" and line["body"] == "Received 06:00"
    assert line["ref"] == delivery.our_ref
    assert delivery.state == DeliveryState.SENT and delivery.handoffs == 1
    assert delivery.provider_ref == f"console:{delivery.our_ref}"
    assert delivery.handed_off_at == clock.now() and delivery.lease_until is None
    assert not outbox.dispatch_outbox()  # nothing left: the job says it did no work


def test_temporary_errors_back_off_then_dead_then_manual_retry(
    world, phones, frozen, temp_channel, settings
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3
    failing = temp_channel(Failing(TemporaryError("smtp 451")))
    world.org.settings = {"sms_channel": "failing"}
    world.org.save()
    message = queue(world, phones.k1_phone)
    delivery = message.deliveries.get()
    assert delivery.channel == "failing"
    set_bucket("failing", 10)
    outbox.dispatch_batch("failing")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.last_error == "smtp 451"
    first_wait = delivery.next_attempt_at - clock.now()
    assert timedelta(seconds=15) <= first_wait <= timedelta(seconds=30)
    assert outbox.dispatch_batch("failing") == 0  # not due yet
    frozen.shift(first_wait + timedelta(seconds=1))
    outbox.dispatch_batch("failing")
    delivery.refresh_from_db()
    second_wait = delivery.next_attempt_at - clock.now()
    assert delivery.state == DeliveryState.FAILED and second_wait >= timedelta(seconds=30)
    frozen.shift(second_wait + timedelta(seconds=1))
    outbox.dispatch_batch("failing")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD and failing.calls == 3
    frozen.shift(timedelta(hours=2))
    assert outbox.dispatch_batch("failing") == 0  # dead stays dead
    failing.error = None  # type: ignore[assignment]
    temp_channel(Recording()).name  # noqa: B018
    outbox.retry_dead(delivery)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.QUEUED and delivery.attempts == 0
    with pytest.raises(outbox.OutboxError):
        outbox.retry_dead(delivery)


def test_a_permanent_error_is_dead_at_once(world, phones, frozen, temp_channel) -> None:
    failing = temp_channel(Failing(PermanentError("smtp 550")))
    world.org.settings = {"sms_channel": "failing"}
    world.org.save()
    delivery = queue(world, phones.k1_phone).deliveries.get()
    set_bucket("failing", 10)
    outbox.dispatch_batch("failing")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD and delivery.last_error == "smtp 550"
    assert failing.calls == 1


def test_an_unexpected_exception_is_retried_without_details(
    world, phones, frozen, temp_channel
) -> None:
    temp_channel(Failing(RuntimeError("+963944000301 exploded")))
    world.org.settings = {"sms_channel": "failing"}
    world.org.save()
    delivery = queue(world, phones.k1_phone).deliveries.get()
    set_bucket("failing", 10)
    outbox.dispatch_batch("failing")
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.last_error == "error RuntimeError"


def test_a_slow_batch_gives_back_what_it_cannot_send_within_its_lease(
    world, phones, frozen, sink, temp_channel, settings
) -> None:
    class Slow(Channel):
        name = "slow"
        kinds = ("sms",)

        def send(self, delivery: Any, message: Any, address: str) -> str:
            frozen.shift(timedelta(seconds=20))
            return "ok"

    temp_channel(Slow())
    world.org.settings = {"sms_channel": "slow"}
    world.org.save()
    for _ in range(5):
        queue(world, phones.k1_phone)
    set_bucket("slow", 10)
    assert outbox.dispatch_batch("slow") == 5
    states = sorted(Delivery.objects.values_list("state", "attempts"))
    # 60 s lease, 15 s margin: three sends fit, the other two go back unattempted.
    assert states == [("queued", 0), ("queued", 0), ("sent", 1), ("sent", 1), ("sent", 1)]


def test_status_report_marks_delivered(world, phones, frozen, sink) -> None:
    delivery = queue(world, phones.k1_phone).deliveries.get()
    outbox.dispatch_outbox()
    assert outbox.record_status(our_ref=delivery.our_ref, delivered=True)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.delivered_at == clock.now()


def test_the_worker_job_is_registered() -> None:
    from salama.worker.loop import JOBS

    assert outbox.dispatch_outbox in JOBS


def test_nothing_is_logged_with_the_number(world, phones, frozen, sink, caplog) -> None:
    queue(world, phones.k1_phone)
    with caplog.at_level(logging.DEBUG):
        outbox.dispatch_outbox()
    assert "944000301" not in caplog.text
    assert Path(sink).read_text().count("+963944000301") == 1


def test_a_line_a_killed_worker_left_unfinished_is_ended_first(world, phones, frozen, sink) -> None:
    """A worker killed inside its write to the console sink can leave part of a line (Linux may
    cut a write at a page boundary once SIGKILL is pending, faults.run's outbox case): the next
    line starts on a line of its own, whole."""
    sink.write_bytes(b'{"at": "2026-03-10T12:00:00+00:00", "org": 1, "delivery": 7, "re')
    queue(world, phones.k1_phone, Priority.NORMAL)
    set_bucket("console", 5, tokens=5)
    assert outbox.dispatch_batch("console") == 1
    torn, whole = sink.read_text().splitlines()
    assert torn.endswith('"re')
    assert json.loads(whole)["org"] == world.org.pk
    assert sink.read_bytes().endswith(b"\n")
