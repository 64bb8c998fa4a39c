"""The outbox: queueing, suppression, and the worker's claim-send-record cycle.

Queueing (``queue_message``) runs inside the caller's transaction, so a message exists exactly
when its cause does. Sending is the worker job ``dispatch_outbox``, in this order for each
channel:

1. the life-safety lane: every channel's due life-safety deliveries go first, before every batch;
2. take tokens from the channel's bucket: never more than one second of its rate per batch;
3. claim that many due deliveries (``claim``: one UPDATE over a ``FOR UPDATE SKIP LOCKED``
   subquery, ordered by priority then id) with a lease, and COMMIT, before any network call;
4. hand each one to the channel, and record the result at once, one row at a time, so a crash
   loses at most the hand-off in flight. A delivery whose lease lapsed (its worker died or
   stalled) is claimed again; that possible duplicate hand-off is logged with its window, and a
   second hand-off marked sent shows as ``handoffs`` > 1 and is logged too.

Failures back off exponentially with jitter; after ``OUTBOX_MAX_ATTEMPTS`` claims, or at once on
a permanent error, the delivery is dead, and coordinators may retry it.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Least
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.lib.fields import Sealed
from salama.messaging import channels, texts
from salama.messaging.channels.base import Channel, PermanentError, TemporaryError
from salama.messaging.models import (
    Delivery,
    DeliveryState,
    Message,
    Priority,
    RateBucket,
    Suppression,
    SuppressionReason,
)
from salama.people.models import ContactPoint, ContactState, DecisionKind, Person

log = logging.getLogger("salama.messaging")

# Under these decisions a person's own (unshared) phone may be in other hands: it gets nothing.
SILENCING_DECISIONS = frozenset({DecisionKind.DETAINED, DecisionKind.MISSING, DecisionKind.KILLED})


class OutboxError(Exception):
    """A refused outbox action; the message is translated and safe to show."""


# --- Suppression ---


def _holders(contact_point: ContactPoint) -> list[Person]:
    """The persons a contact point reaches: its roster persons, and the person linked to its
    membership (a lead's or coordinator's phone registered on their login)."""
    persons = list(contact_point.persons.all())
    if contact_point.membership_id is not None:
        linked = getattr(contact_point.membership, "person", None)
        if linked is not None and all(p.pk != linked.pk for p in persons):
            persons.append(linked)
    return persons


def unreachable_reason(contact_point: ContactPoint) -> tuple[str, str] | None:
    """Why nothing may be sent to `contact_point` now, as (reason, decision), or None."""
    if contact_point.state == ContactState.COMPROMISED:
        return SuppressionReason.COMPROMISED, ""
    if contact_point.state == ContactState.SUSPENDED:
        return SuppressionReason.SUSPENDED, ""
    if not contact_point.is_shared:
        for person in _holders(contact_point):
            if person.decision in SILENCING_DECISIONS:
                return SuppressionReason.DECISION, person.decision
    return None


def is_reachable(contact_point: ContactPoint) -> bool:
    """Whether a message to `contact_point` would be sent (the rule ``queue_message`` applies).
    Routing uses it to skip a lead whose phone is seized and fall back to someone else."""
    return unreachable_reason(contact_point) is None


# --- Queueing ---


def language_for(contact_point: ContactPoint, org: Organisation) -> str:
    """The recipient's language: the person's (the first one, on a shared phone), else the
    membership's user's, else the organisation's default (Arabic)."""
    for person in contact_point.persons.order_by("pk"):
        return person.language
    if contact_point.membership_id is not None:
        return str(contact_point.membership.user.language)
    return str(org.setting("language", "ar"))


def _new_delivery(message: Message, contact_point: ContactPoint) -> Delivery:
    return Delivery.objects.create(
        org_id=message.org_id,
        message=message,
        channel=channels.channel_for(contact_point),
        priority=message.priority,
        our_ref=secrets.token_urlsafe(12),
        next_attempt_at=clock.now(),
    )


def queue_message(
    *,
    org: Organisation,
    contact_point: ContactPoint,
    template: str,
    context: Mapping[str, Any],
    priority: int,
    reason: str,
    language: str | None = None,
    cause_ids: Mapping[str, Any] | None = None,
) -> Message | None:
    """Render `template` for the recipient and queue it, inside the caller's transaction.

    Returns the Message, or None when the contact point may not receive it (compromised or
    suspended, or an unshared phone of a person under a DETAINED, MISSING or KILLED decision):
    then the message is kept with a Suppression for coordinators, and nothing is queued.
    """
    if contact_point.org_id != org.pk:
        raise ValueError("contact point of another organisation")
    language = language or language_for(contact_point, org)
    body = texts.render(org, template, language, context)
    with transaction.atomic():
        message = Message.objects.create(
            org=org,
            priority=int(priority),
            template=template,
            language=language,
            body=body,
            contact_point=contact_point,
            reason=reason[:60],
            cause_ids=dict(cause_ids or {}),
        )
        why = unreachable_reason(contact_point)
        if why is not None:
            Suppression.objects.create(org=org, message=message, reason=why[0], decision=why[1])
            log.info(
                "message suppressed: %s",
                why[0],
                extra={"org": org.pk, "object": f"message:{message.pk}"},
            )
            return None
        _new_delivery(message, contact_point)
    return message


def _audit(action: str, obj: Any, actor: Membership | None, request: HttpRequest | None) -> None:
    audit.record(
        action,
        org_id=obj.org_id,
        actor_id=actor.user_id if actor else None,
        obj=obj,
        request=request,
        detail={"message": obj.message_id},
    )


@transaction.atomic
def retry_dead(
    delivery: Delivery, *, actor: Membership | None = None, request: HttpRequest | None = None
) -> Delivery:
    """Put a dead delivery back in the queue, attempts reset. Refused while its contact point
    may not receive messages (release the suppression instead)."""
    contact_point = delivery.message.contact_point
    if contact_point is None:
        raise OutboxError(_("The contact point of this message no longer exists."))
    if not delivery.is_released and not is_reachable(contact_point):
        raise OutboxError(_("This contact point may not receive messages now."))
    now = clock.now()
    updated = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.DEAD).update(
        state=DeliveryState.QUEUED,
        attempts=0,
        next_attempt_at=now,
        lease_until=None,
        last_error="",
        updated_at=now,
    )
    if not updated:
        raise OutboxError(_("This delivery is not dead: there is nothing to retry."))
    _audit("messaging.retry", delivery, actor, request)
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def release_suppression(
    suppression: Suppression,
    *,
    actor: Membership | None = None,
    request: HttpRequest | None = None,
) -> Delivery:
    """Send one suppressed message after all: a coordinator's decision, audited."""
    message = suppression.message
    if message.contact_point is None:
        raise OutboxError(_("The contact point of this message no longer exists."))
    now = clock.now()
    claimed = Suppression.objects.filter(pk=suppression.pk, released_at__isnull=True).update(
        released_at=now, released_by=actor
    )
    if not claimed:
        raise OutboxError(_("This message was already released."))
    if suppression.delivery_id is not None:
        Delivery.objects.filter(pk=suppression.delivery_id).update(
            state=DeliveryState.QUEUED,
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            last_error="",
            updated_at=now,
        )
        delivery = Delivery.objects.get(pk=suppression.delivery_id)
    else:
        delivery = _new_delivery(message, message.contact_point)
    # Released: the send-time check must not stop it again.
    Delivery.objects.filter(pk=delivery.pk).update(is_released=True)
    delivery.is_released = True
    _audit("messaging.release", suppression, actor, request)
    return delivery


# --- Rate buckets ---


def bucket_for(channel: str) -> RateBucket:
    per_second, capacity = settings.OUTBOX_RATES.get(channel, settings.OUTBOX_DEFAULT_RATE)
    bucket, _created = RateBucket.objects.get_or_create(
        channel=channel,
        defaults={
            "capacity": float(capacity),
            "refill_per_second": float(per_second),
            "tokens": float(capacity),
            "updated_at": clock.now(),
        },
    )
    return bucket


def one_second_of(bucket: RateBucket) -> int:
    return max(1, int(bucket.refill_per_second))


def take_tokens(channel: str, wanted: int) -> int:
    """Take up to `wanted` tokens (never more than one second of the channel's rate) with a
    conditional update; returns how many were granted (0: wait)."""
    for _attempt in range(5):
        bucket = bucket_for(channel)
        now = clock.now()
        elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
        available = min(bucket.capacity, bucket.tokens + elapsed * bucket.refill_per_second)
        granted = min(wanted, int(available), one_second_of(bucket))
        if granted <= 0:
            return 0
        taken = RateBucket.objects.filter(
            pk=bucket.pk, tokens=bucket.tokens, updated_at=bucket.updated_at
        ).update(tokens=available - granted, updated_at=max(now, bucket.updated_at))
        if taken:
            return granted
    return 0


def give_back_tokens(channel: str, count: int) -> None:
    if count > 0:
        RateBucket.objects.filter(channel=channel).update(
            tokens=Least(F("tokens") + float(count), F("capacity"))
        )


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


def claim(*, channel: str, limit: int, max_priority: int = Priority.BULK) -> list[Delivery]:
    """Claim up to `limit` due deliveries of `channel` (priority order, then id) with a lease,
    and commit. On PostgreSQL concurrent workers skip each other's locked rows; on SQLite one
    worker runs at a time (salama.worker.loop.SingleWorkerLock), so no lock clause is needed."""
    now = clock.now()
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    sql = _CLAIM_SQL.format(
        lock="FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
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
        if connection.vendor == "postgresql":
            # Not waiting for the flush to disk: a database crash could forget this mark, and
            # the row would then be claimed again after its lease, the same (logged) possible
            # duplicate as a worker dying right after a hand-off. At-least-once either way.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
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
    channel = channels.get(name)
    if channel is None or not has_due(name, max_priority):
        return 0
    granted = take_tokens(name, settings.OUTBOX_BATCH_SIZE)
    if not granted:
        return 0
    claimed = claim(channel=name, limit=granted, max_priority=max_priority)
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
