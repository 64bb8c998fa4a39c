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
import secrets
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.messaging import channels, compiled, texts
from salama.messaging.buckets import bucket_for, give_back_tokens, take_tokens
from salama.messaging.dispatch import (
    backoff,
    claim,
    dispatch_batch,
    dispatch_outbox,
    has_due,
    life_safety_lane,
    mark_sent,
    record_failure,
    record_status,
    send_one,
)
from salama.messaging.models import Delivery, DeliveryState, Message, Suppression
from salama.messaging.reach import SILENCING_DECISIONS, is_reachable, unreachable_reason
from salama.people.models import ContactPoint

__all__ = [
    "SILENCING_DECISIONS",
    "OutboxError",
    "backoff",
    "bucket_for",
    "claim",
    "dispatch_batch",
    "dispatch_outbox",
    "give_back_tokens",
    "has_due",
    "is_reachable",
    "language_for",
    "life_safety_lane",
    "mark_sent",
    "queue_message",
    "record_failure",
    "record_status",
    "release_suppression",
    "retry_dead",
    "send_one",
    "take_tokens",
    "unreachable_reason",
]

log = logging.getLogger("salama.messaging")


class OutboxError(Exception):
    """A refused outbox action; the message is translated and safe to show."""


# --- Queueing ---


def language_for(contact_point: ContactPoint, org: Organisation) -> str:
    """The recipient's language: the person's (the first one, on a shared phone), else the
    membership's user's, else the organisation's default (Arabic)."""
    for person in contact_point.persons.order_by("pk"):
        return person.language
    if contact_point.membership is not None:
        return str(contact_point.membership.user.language)
    return str(org.setting("language", "ar"))


def _delivery_of(message: Message, contact_point: ContactPoint) -> Delivery:
    """A new delivery of `message` (not saved; its message set on saving)."""
    return Delivery(
        org_id=message.org_id,
        channel=channels.channel_for(contact_point),
        priority=message.priority,
        our_ref=secrets.token_urlsafe(12),
        next_attempt_at=clock.now(),
    )


def _new_delivery(message: Message, contact_point: ContactPoint) -> Delivery:
    delivery = _delivery_of(message, contact_point)
    delivery.message = message
    return compiled.insert(delivery)


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
    savepoint: bool = True,
    wording: str | None = texts.UNREAD,
) -> Message | None:
    """Render `template` for the recipient and queue it, inside the caller's transaction.
    ``savepoint=False``: the caller lets any error roll back its own savepoint or transaction
    (a text's reply: handling one text is all or nothing), so this one is not needed.
    ``wording``: the organisation's wording of `template` in `language` as the caller read it
    in this transaction (None: none, the default wording; see texts.render).

    Returns the Message, or None when the contact point may not receive it (compromised or
    suspended, or an unshared phone of a person under a DETAINED, MISSING or KILLED decision):
    then the message is kept with a Suppression for coordinators, and nothing is queued.
    """
    if contact_point.org_id != org.pk:
        raise ValueError("contact point of another organisation")
    language = language or language_for(contact_point, org)
    body = texts.render(org, template, language, context, wording)
    with transaction.atomic(savepoint=savepoint):
        message = Message(
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
        if why is None:
            # The message and its delivery: one statement on PostgreSQL (salama.messaging.compiled).
            compiled.insert_pair(message, _delivery_of(message, contact_point), "message")
            return message
        compiled.insert(message)
        if why is not None:
            Suppression.objects.create(org=org, message=message, reason=why[0], decision=why[1])
            log.info(
                "message suppressed: %s",
                why[0],
                extra={"org": org.pk, "object": f"message:{message.pk}"},
            )
            return None
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
