"""The worker's side of the outbox: claim, hand off, record (see salama.messaging.outbox for the
protocol)."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q

from salama.lib import clock
from salama.lib.fields import Sealed
from salama.messaging import channels
from salama.messaging.buckets import give_back_tokens, take_or_wait
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
        _log_duplicate(delivery, handoffs)
    return handoffs


_SENT_MANY_SQL = """
UPDATE messaging_delivery
SET handoffs = handoffs + 1,
    state = CASE WHEN state = 'delivered' THEN state ELSE 'sent' END,
    provider_ref = CASE id {refs} END,
    previous_handoff_at = handed_off_at,
    handed_off_at = %s,
    lease_until = NULL,
    last_error = '',
    updated_at = %s
WHERE id IN ({ids})
RETURNING id, handoffs
"""


def mark_sent_many(sent: list[tuple[Delivery, str]]) -> dict[int, int]:
    """Record several hand-offs with one UPDATE in one transaction, committed durably like
    mark_sent's; returns each delivery's hand-off count (more than 1: a duplicate, logged)."""
    if len(sent) == 1:
        delivery, provider_ref = sent[0]
        return {delivery.pk: mark_sent(delivery, provider_ref)}
    if not sent:
        return {}
    now = connection.ops.adapt_datetimefield_value(clock.now())
    params: list[Any] = []
    for delivery, provider_ref in sent:
        params += [delivery.pk, provider_ref[:120]]
    params += [now, now, *[delivery.pk for delivery, _ref in sent]]
    sql = _SENT_MANY_SQL.format(
        refs=" ".join("WHEN %s THEN %s" for _ in sent), ids=", ".join("%s" for _ in sent)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # Committed durably (synchronous commit), as in mark_sent.
        cursor.execute(sql, params)
        counts = {int(pk): int(handoffs) for pk, handoffs in cursor.fetchall()}
    for delivery, _ref in sent:
        if counts.get(delivery.pk, 0) > 1:
            _log_duplicate(delivery, counts[delivery.pk])
    return counts


def _log_duplicate(delivery: Delivery, handoffs: int) -> None:
    """Log a second hand-off (after the mark is committed: a failure to read the previous time
    must not make the caller record the hand-off again)."""
    try:
        previous = (
            Delivery.objects.filter(pk=delivery.pk)
            .values_list("previous_handoff_at", flat=True)
            .first()
        )
    except DatabaseError:
        previous = None
    log.warning(
        "duplicate hand-off: delivery handed to its channel %d times; previous at %s UTC, "
        "this one at %s UTC",
        handoffs,
        previous.strftime("%H:%M:%S") if previous else "?",
        clock.now().strftime("%H:%M:%S"),
        extra={"delivery": delivery.pk, "org": delivery.org_id, "action": "outbox.duplicate"},
    )


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


def _prepare(channel: Channel, delivery: Delivery) -> Callable[[], str] | None:
    """The checks at send time and the channel's preparation, in the worker's thread. Returns
    the hand-off to make, or None when the delivery was settled here (suppressed, failed)."""
    message = delivery.message
    contact_point = message.contact_point
    if contact_point is None:
        record_failure(delivery, "no contact point", permanent=True)
        return None
    why = unreachable_reason(contact_point)
    if why is not None and not delivery.is_released:
        _suppress_at_send(delivery, why)
        return None
    address = contact_point.value
    if not address or isinstance(address, Sealed) or isinstance(message.body, Sealed):
        record_failure(delivery, "key unavailable", permanent=True)
        return None
    try:
        return channel.prepare(delivery, message, address)
    except Exception as exc:
        _record_error(delivery, exc)
        return None


@dataclass
class _Outcome:
    """What one hand-off gave: the provider's reference, or the error it raised."""

    ref: str = ""
    error: BaseException | None = None


def _attempt(hand_off: Callable[[], str]) -> _Outcome:
    try:
        return _Outcome(ref=hand_off() or "")
    except Exception as exc:
        return _Outcome(error=exc)


def _record_error(delivery: Delivery, exc: BaseException) -> None:
    if isinstance(exc, PermanentError):
        record_failure(delivery, exc.code, permanent=True)
    elif isinstance(exc, TemporaryError):
        record_failure(delivery, exc.code, permanent=False)
    else:
        log.error(
            "channel raised an unexpected error",
            exc_info=exc,
            extra={"delivery": delivery.pk, "action": "outbox.error"},
        )
        record_failure(delivery, f"error {type(exc).__name__}", permanent=False)


def send_one(channel: Channel, delivery: Delivery) -> None:
    hand_off = _prepare(channel, delivery)
    if hand_off is None:
        return
    _record_until([(delivery, _attempt(hand_off))], _lease_deadline([delivery]))


# Seconds between tries to record outcomes while the database is away.
RECORD_RETRY_PAUSE = 0.5


def _lease_deadline(deliveries: list[Delivery]) -> datetime:
    """Until when a worker may keep trying to record hand-offs: while its lease has more than a
    quarter left (after that another worker may claim the rows again anyway)."""
    margin = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 4)
    leases = [d.lease_until for d in deliveries if d.lease_until is not None]
    return (min(leases) if leases else clock.now()) - margin


def _record_outcomes(outcomes: list[tuple[Delivery, _Outcome]]) -> None:
    """Record hand-offs (one UPDATE) and failures; each is removed from `outcomes` once it is
    recorded, so that a retry after an error records only the rest."""
    mark_sent_many([(d, o.ref) for d, o in outcomes if o.error is None])
    outcomes[:] = [(d, o) for d, o in outcomes if o.error is not None]
    while outcomes:
        delivery, outcome = outcomes[0]
        assert outcome.error is not None
        _record_error(delivery, outcome.error)
        outcomes.pop(0)


def _record_until(outcomes: list[tuple[Delivery, _Outcome]], deadline: datetime) -> None:
    """Record the outcomes; when the database is away (a restart, a lost connection), try again
    until `deadline`: a hand-off left unrecorded is made again after the lease (a duplicate).
    Raises the database's error when it is still away at the deadline."""
    warned = False
    while True:
        try:
            _record_outcomes(outcomes)
            return
        except DatabaseError:
            if clock.now() >= deadline:
                raise
            if not warned:
                log.warning(
                    "could not record %d hand-off outcomes; trying again",
                    len(outcomes),
                    extra={"action": "outbox.record_retry"},
                )
                warned = True
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
            time.sleep(RECORD_RETRY_PAUSE)


# Hand-offs of concurrent channels run in this pool (one per process, made on first use).
_pool: dict[int, ThreadPoolExecutor] = {}
_pool_lock = threading.Lock()


def hand_off_pool(width: int) -> ThreadPoolExecutor:
    with _pool_lock:
        if width not in _pool:
            for old in _pool.values():
                old.shutdown(wait=False)
            _pool.clear()
            _pool[width] = ThreadPoolExecutor(max_workers=width, thread_name_prefix="handoff")
        return _pool[width]


def _send_concurrently(
    channel: Channel, claimed: list[Delivery], margin: timedelta, width: int
) -> None:
    """Hand off a claimed batch with up to `width` hand-offs under way at once, in claim order
    (life-safety first). Whatever has finished is recorded before more are started: the sent
    ones with one UPDATE committed durably, so a crash leaves at most the hand-offs under way and
    those just finished unrecorded (each claimed again after its lease, and logged). When
    recording fails (the database went away), no more are started."""
    pool = hand_off_pool(width)
    under_way: dict[Future[_Outcome], Delivery] = {}
    finished: list[tuple[Delivery, _Outcome]] = []
    index = 0
    try:
        while True:
            while index < len(claimed) and len(under_way) < width:
                delivery = claimed[index]
                assert delivery.lease_until is not None
                if clock.now() >= delivery.lease_until - margin:
                    # Sending on would race a worker that may reclaim these after the lease.
                    release_unsent(claimed[index:])
                    index = len(claimed)
                    break
                index += 1
                hand_off = _prepare(channel, delivery)
                if hand_off is not None:
                    under_way[pool.submit(_attempt, hand_off)] = delivery
            if not under_way:
                return
            done, _running = wait(under_way, return_when=FIRST_COMPLETED)
            finished = [(under_way.pop(f), f.result()) for f in done]
            _record_outcomes(finished)
    except BaseException as exc:
        # Start nothing more. Record what was handed off, including what is still under way;
        # while the database is away, keep trying as long as the lease allows. What stays
        # unrecorded is claimed again after the lease (a possible duplicate, logged then).
        if under_way:
            done, _not_done = wait(under_way, timeout=settings.OUTBOX_GATEWAY_TIMEOUT + 1)
            finished += [(under_way[f], f.result()) for f in done]
        if not isinstance(exc, DatabaseError):
            try:
                _record_outcomes(finished)
            except Exception:
                log.warning(
                    "hand-off outcomes not recorded: claimed again after the lease",
                    extra={"action": "outbox.unrecorded"},
                )
            raise
        _record_until(finished, _lease_deadline(claimed))
        release_unsent(claimed[index:])  # the database is back: the rest goes back unattempted


# --- The worker job ---


def dispatch_batch(name: str, *, max_priority: int = Priority.BULK) -> int:
    """One batch of one channel: tokens, claim, send, record. Returns how many were claimed.
    With no token to take, asks the worker loop to look again when the next one is due."""
    from salama.messaging.budget import held_org_ids
    from salama.worker.loop import wake_at

    channel = channels.get(name)
    if channel is None or getattr(channel, "is_pulled", False) or not has_due(name, max_priority):
        return 0  # a pulled channel (Android phones) is taken by its phones when they poll
    granted, wait_seconds = take_or_wait(name, settings.OUTBOX_BATCH_SIZE)
    if not granted:
        if wait_seconds is not None:
            wake_at(clock.now() + timedelta(seconds=wait_seconds))
        return 0
    held = held_org_ids(name) if max_priority > Priority.LIFE_SAFETY else set()
    claimed = claim(channel=name, limit=granted, max_priority=max_priority, held_orgs=held)
    give_back_tokens(name, granted - len(claimed))
    margin = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS / 4)
    width = max(1, int(settings.OUTBOX_SEND_CONCURRENCY))
    if channel.concurrent and width > 1 and len(claimed) > 1:
        _send_concurrently(channel, claimed, margin, width)
        return len(claimed)
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
