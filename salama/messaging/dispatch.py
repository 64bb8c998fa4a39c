"""The worker's side of the outbox: claim, hand off, record (see salama.messaging.outbox for the
protocol)."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q

from salama.lib import clock
from salama.lib.fields import Sealed
from salama.messaging import channels
from salama.messaging.buckets import give_back_tokens, take_tokens
from salama.messaging.channels.base import Channel, PermanentError, TemporaryError
from salama.messaging.models import Delivery, DeliveryState, Priority, Suppression
from salama.messaging.reach import unreachable_reason

log = logging.getLogger("salama.messaging")

# --- Claiming ---

_CLAIM_SQL = """
UPDATE messaging_delivery
SET state = 'sending',
    lapsed_lease_until = CASE WHEN state = 'sending' THEN lease_until ELSE NULL END,
    lease_until = %s,
    attempts = attempts + 1,
    updated_at = %s
WHERE id IN (
    SELECT id FROM messaging_delivery
    WHERE state IN ('queued', 'failed', 'sending')
      AND channel = %s
      AND priority <= %s
      {held}
      AND ((state IN ('queued', 'failed') AND next_attempt_at <= %s)
           OR (state = 'sending' AND lease_until < %s))
    ORDER BY priority, id
    {lock}
    LIMIT %s
)
RETURNING id
"""


def _due(channel: str, max_priority: int, now: datetime) -> Q:
    return Q(channel=channel, priority__lte=max_priority) & (
        Q(state__in=[DeliveryState.QUEUED, DeliveryState.FAILED], next_attempt_at__lte=now)
        | Q(state=DeliveryState.SENDING, lease_until__lt=now)
    )


def has_due(channel: str, max_priority: int = Priority.BULK) -> bool:
    return Delivery.objects.filter(_due(channel, max_priority, clock.now())).exists()


def claim(
    *, channel: str, limit: int, max_priority: int = Priority.BULK, held_orgs: Iterable[int] = ()
) -> list[Delivery]:
    """Claim up to `limit` due deliveries of `channel` (priority order, then id) with a lease,
    and commit. On PostgreSQL concurrent workers skip each other's locked rows; on SQLite one
    worker runs at a time (salama.worker.loop.SingleWorkerLock), so no lock clause is needed."""
    now = clock.now()
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    # The budget hook (salama.messaging.budget.held_org_ids): an organisation whose monthly
    # budget is spent has only its life-safety deliveries claimed.
    held = ",".join(str(int(i)) for i in sorted(held_orgs))
    sql = _CLAIM_SQL.format(
        lock="FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else "",
        held=f"AND (priority = 0 OR org_id NOT IN ({held}))" if held else "",
    )
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(lease), adapt(now), channel, int(max_priority), adapt(now), adapt(now), limit]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    claimed = list(
        Delivery.objects.filter(pk__in=ids)
        .select_related(
            "message__contact_point__membership__user",
            "message__contact_point__membership__person",
        )
        .prefetch_related("message__contact_point__persons")
        .order_by("priority", "id")
    )
    for delivery in claimed:
        if delivery.lapsed_lease_until is not None:
            _log_reclaim(delivery)
    return claimed


def _log_reclaim(delivery: Delivery) -> None:
    lapsed = delivery.lapsed_lease_until
    assert lapsed is not None
    began = lapsed - timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    log.warning(
        "delivery claimed again after its lease lapsed: a hand-off may have happened between "
        "%s and %s UTC (possible duplicate)",
        began.strftime("%H:%M:%S"),
        lapsed.strftime("%H:%M:%S"),
        extra={"delivery": delivery.pk, "org": delivery.org_id, "action": "outbox.reclaim"},
    )


# --- Recording results ---


def backoff(attempt: int, priority: int) -> timedelta:
    """Exponential backoff with jitter: half the delay fixed, half random."""
    base = settings.OUTBOX_BACKOFF_BASE
    if priority == Priority.LIFE_SAFETY:
        base = min(base, settings.OUTBOX_LIFE_SAFETY_BACKOFF_BASE)
    delay = min(settings.OUTBOX_BACKOFF_MAX, base * 2 ** max(0, attempt - 1))
    return timedelta(seconds=delay / 2 + random.uniform(0, delay / 2))


_SENT_SQL = """
UPDATE messaging_delivery
SET handoffs = handoffs + 1,
    state = CASE WHEN state = 'delivered' THEN state ELSE 'sent' END,
    provider_ref = %s,
    previous_handoff_at = handed_off_at,
    handed_off_at = %s,
    lease_until = NULL,
    last_error = '',
    updated_at = %s
WHERE id = %s
RETURNING handoffs
"""


def mark_sent(delivery: Delivery, provider_ref: str) -> int:
    """Record a hand-off; returns the delivery's hand-off count (more than 1: a duplicate)."""
    now = connection.ops.adapt_datetimefield_value(clock.now())
    with transaction.atomic(), connection.cursor() as cursor:
        # Committed durably (synchronous commit): a mark lost in a database crash would make
        # the row be claimed and handed off again (measured by `make faults`).
        cursor.execute(_SENT_SQL, [provider_ref[:120], now, now, delivery.pk])
        row = cursor.fetchone()
    handoffs = int(row[0]) if row else 0
    if handoffs > 1:
        previous = (
            Delivery.objects.filter(pk=delivery.pk)
            .values_list("previous_handoff_at", flat=True)
            .first()
        )
        log.warning(
            "duplicate hand-off: delivery handed to its channel %d times; previous at %s UTC, "
            "this one at %s UTC",
            handoffs,
            previous.strftime("%H:%M:%S") if previous else "?",
            clock.now().strftime("%H:%M:%S"),
            extra={"delivery": delivery.pk, "org": delivery.org_id, "action": "outbox.duplicate"},
        )
    return handoffs


def record_failure(delivery: Delivery, code: str, *, permanent: bool) -> str:
    """Back off, or give up (dead). Only the lease holder records: a delivery someone else has
    since claimed or sent is left alone. Returns the new state."""
    now = clock.now()
    dead = permanent or delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    state = DeliveryState.DEAD if dead else DeliveryState.FAILED
    Delivery.objects.filter(
        pk=delivery.pk, state=DeliveryState.SENDING, lease_until=delivery.lease_until
    ).update(
        state=state,
        last_error=code[:120],
        lease_until=None,
        next_attempt_at=now if dead else now + backoff(delivery.attempts, delivery.priority),
        updated_at=now,
    )
    if dead:
        log.warning(
            "delivery dead: %s",
            code,
            extra={"delivery": delivery.pk, "org": delivery.org_id, "action": "outbox.dead"},
        )
    return state


def _suppress_at_send(delivery: Delivery, why: tuple[str, str]) -> None:
    """The contact point became unreachable after queueing (a seized phone): stop it here."""
    with transaction.atomic():
        stopped = Delivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, lease_until=delivery.lease_until
        ).update(
            state=DeliveryState.DEAD,
            last_error="suppressed",
            lease_until=None,
            updated_at=clock.now(),
        )
        if stopped:
            Suppression.objects.create(
                org_id=delivery.org_id,
                message=delivery.message,
                delivery=delivery,
                reason=why[0],
                decision=why[1],
            )


def release_unsent(deliveries: list[Delivery]) -> None:
    """Give claimed deliveries back to the queue without an attempt (the lease is running out)."""
    for delivery in deliveries:
        Delivery.objects.filter(
            pk=delivery.pk, state=DeliveryState.SENDING, lease_until=delivery.lease_until
        ).update(
            state=DeliveryState.QUEUED,
            attempts=F("attempts") - 1,
            lease_until=None,
            updated_at=clock.now(),
        )


def send_one(channel: Channel, delivery: Delivery) -> None:
    message = delivery.message
    contact_point = message.contact_point
    if contact_point is None:
        record_failure(delivery, "no contact point", permanent=True)
        return
    why = unreachable_reason(contact_point)
    if why is not None and not delivery.is_released:
        _suppress_at_send(delivery, why)
        return
    address = contact_point.value
    if not address or isinstance(address, Sealed) or isinstance(message.body, Sealed):
        record_failure(delivery, "key unavailable", permanent=True)
        return
    try:
        provider_ref = channel.send(delivery, message, address)
    except PermanentError as exc:
        record_failure(delivery, exc.code, permanent=True)
    except TemporaryError as exc:
        record_failure(delivery, exc.code, permanent=False)
    except Exception as exc:
        log.exception(
            "channel raised an unexpected error",
            extra={"delivery": delivery.pk, "action": "outbox.error"},
        )
        record_failure(delivery, f"error {type(exc).__name__}", permanent=False)
    else:
        mark_sent(delivery, provider_ref or "")


# --- The worker job ---


def dispatch_batch(name: str, *, max_priority: int = Priority.BULK) -> int:
    """One batch of one channel: tokens, claim, send, record. Returns how many were claimed."""
    from salama.messaging.budget import held_org_ids

    channel = channels.get(name)
    if channel is None or getattr(channel, "is_pulled", False) or not has_due(name, max_priority):
        return 0  # a pulled channel (Android phones) is taken by its phones when they poll
    granted = take_tokens(name, settings.OUTBOX_BATCH_SIZE)
    if not granted:
        return 0
    held = held_org_ids(name) if max_priority > Priority.LIFE_SAFETY else set()
    claimed = claim(channel=name, limit=granted, max_priority=max_priority, held_orgs=held)
    give_back_tokens(name, granted - len(claimed))
    margin = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 4)
    for index, delivery in enumerate(claimed):
        assert delivery.lease_until is not None
        if clock.now() >= delivery.lease_until - margin:
            # Sending on would race a worker that may reclaim these after the lease.
            release_unsent(claimed[index:])
            break
        send_one(channel, delivery)
    return len(claimed)


def life_safety_lane() -> int:
    return sum(dispatch_batch(name, max_priority=Priority.LIFE_SAFETY) for name in channels.names())


def dispatch_outbox() -> bool:
    """The worker job: for each channel, the life-safety lane of every channel, then one batch."""
    handled = 0
    for name in channels.names():
        handled += life_safety_lane()
        handled += dispatch_batch(name)
    return handled > 0


# --- Provider reports (gateways, the messaging issue) ---


def record_status(*, our_ref: str, delivered: bool, error: str = "") -> bool:
    """A delivery report for one of our references: delivered, or failed for good after it was
    handed off. Returns whether a delivery was updated."""
    now = clock.now()
    if delivered:
        return bool(
            Delivery.objects.filter(
                our_ref=our_ref, state__in=[DeliveryState.SENT, DeliveryState.SENDING]
            ).update(state=DeliveryState.DELIVERED, delivered_at=now, updated_at=now)
        )
    return bool(
        Delivery.objects.filter(our_ref=our_ref, state=DeliveryState.SENT).update(
            state=DeliveryState.DEAD, last_error=(error or "not delivered")[:120], updated_at=now
        )
    )
