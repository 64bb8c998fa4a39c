"""The Android phone gateway, in the SMSSync style (docs/channels.md states the protocol).

A phone with a local SIM relays texts: it POSTs the texts it receives (with their SMSC time)
and polls for the ones to send, authenticated by its shared secret (``Authorization: Bearer``),
compared in constant time against the stored SHA-256 hash. An organisation may have several
phones; a delivery on the ``android`` channel is not bound to one: the first phone that polls
and may take it takes it, so a revoked or lost phone leaves nothing stranded.

Routing at the poll: a recipient whose contact point names an operator that one of the
organisation's phones is on (a phone that polled within ``ANDROID_PRESENT_MINUTES``) is sent
only through such a phone; any other recipient through any phone.

Pacing: each phone has its own token bucket (RateBucket ``android:<id>``), refilled at its
``per_minute`` (default 20) with a burst small enough that no 60 seconds hold more than 29 texts
(Android refuses the 31st text an app sends within a minute).

The hand-off: handing a text to a polling phone marks the delivery sent (``handed_off_at``); the
phone's later "delivered" or "failed" report goes through ``outbox.record_status``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, When

from salama.lib import clock
from salama.messaging.buckets import take_tokens
from salama.messaging.channels.base import Channel, TemporaryError
from salama.messaging.dispatch import mark_sent
from salama.messaging.models import AndroidPhone, Delivery, DeliveryState, Priority, RateBucket

if TYPE_CHECKING:
    from salama.messaging.models import Message

log = logging.getLogger("salama.messaging")

NAME = "android"
ANDROID_LIMIT_PER_MINUTE = 30
MAX_PER_POLL = 50


class AndroidChannel(Channel):
    """Registered so that organisations can choose it for SMS; the worker never sends on it
    (``is_pulled``): phones take their deliveries when they poll."""

    name: ClassVar[str] = NAME
    kinds: ClassVar[tuple[str, ...]] = ("sms",)
    is_pulled: ClassVar[bool] = True

    def send(self, delivery: Delivery, message: Message, address: str) -> str:
        raise TemporaryError("android: taken by a polling phone")


# --- Secrets ----------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def phone_for(key: str, secret: str) -> AndroidPhone | None:
    """The active phone with this key whose secret this is (constant-time), else None."""
    phone = AndroidPhone.objects.filter(key=key).select_related("org").first()
    # Compare even when there is no such phone, so timing says nothing about the key.
    stored = phone.secret_hash if phone is not None and phone.is_active else ""
    given = hash_secret(secret) if secret else ""
    matches = hmac.compare_digest(stored or "-" * 64, given or "+" * 64)
    return phone if matches and stored else None


# --- Pacing -----------------------------------------------------------------------------------


def burst_for(per_minute: int) -> int:
    """A burst that keeps any 60 seconds below Android's limit: burst + per_minute < 30."""
    return max(1, min(8, ANDROID_LIMIT_PER_MINUTE - 1 - per_minute))


def set_pacing(phone: AndroidPhone) -> None:
    per_minute = max(1, min(int(phone.per_minute), ANDROID_LIMIT_PER_MINUTE - 1))
    burst = float(burst_for(per_minute))
    bucket, created = RateBucket.objects.get_or_create(
        channel=phone.bucket,
        defaults={"capacity": burst, "refill_per_second": per_minute / 60, "tokens": burst},
    )
    if not created:
        RateBucket.objects.filter(pk=bucket.pk).update(
            capacity=burst, refill_per_second=per_minute / 60, tokens=min(bucket.tokens, burst)
        )


def take(phone: AndroidPhone, wanted: int) -> int:
    """Tokens from the phone's bucket (take_tokens grants at most one second's worth a call)."""
    if not RateBucket.objects.filter(channel=phone.bucket).exists():
        set_pacing(phone)
    granted = 0
    while granted < wanted:
        got = take_tokens(phone.bucket, wanted - granted)
        if not got:
            break
        granted += got
    return granted


def give_back(phone: AndroidPhone, count: int) -> None:
    from salama.messaging.buckets import give_back_tokens

    give_back_tokens(phone.bucket, count)


# --- Routing and the claim --------------------------------------------------------------------


def present_operators(phone: AndroidPhone, now: datetime) -> set[str]:
    """Operators of the organisation's phones that are polling (recently)."""
    since = now - timedelta(minutes=settings.ANDROID_PRESENT_MINUTES)
    rows = (
        AndroidPhone.objects.for_org(phone.org_id)
        .filter(is_active=True)
        .filter(Q(last_poll_at__gte=since) | Q(pk=phone.pk))
        .exclude(operator="")
        .values_list("operator", flat=True)
    )
    return {r.strip().lower() for r in rows}


def _route(phone: AndroidPhone, now: datetime) -> Q:
    """The deliveries this phone may take: its operator's, and those of operators no present
    phone is on."""
    operators = present_operators(phone, now)
    own = phone.operator.strip().lower()
    field = "message__contact_point__operator__iexact"
    others = Q()
    for operator in operators - {own}:
        others &= ~Q(**{field: operator})
    if own:
        return Q(**{field: own}) | others
    return others


def _due(now: datetime) -> Q:
    return Q(state__in=[DeliveryState.QUEUED, DeliveryState.FAILED], next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, lease_until__lt=now
    )


def claim_for(phone: AndroidPhone, limit: int, max_priority: int = Priority.BULK) -> list[Delivery]:
    """Claim up to `limit` due android deliveries this phone may take, priority order then id,
    with a lease (committed before they are handed over)."""
    if limit <= 0:
        return []
    now = clock.now()
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        query = (
            Delivery.objects.for_org(phone.org_id)
            .filter(channel=NAME, priority__lte=max_priority)
            .filter(_due(now))
            .filter(_route(phone, now))
            .order_by("priority", "id")
        )
        ids = list(
            query.select_for_update(skip_locked=True, of=("self",)).values_list("id", flat=True)[
                :limit
            ]
        )
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(
            lapsed_lease_until=Case(
                When(state=DeliveryState.SENDING, then=F("lease_until")), default=None
            ),
            state=DeliveryState.SENDING,
            lease_until=lease,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return list(
        Delivery.objects.filter(pk__in=ids)
        .select_related("message__contact_point")
        .order_by("priority", "id")
    )


def outgoing(phone: AndroidPhone, *, held: bool = False) -> list[dict[str, Any]]:
    """What a poll hands to the phone: paced by its bucket, routed by operator; each one
    handed over is marked sent (the hand-off). `held`: the organisation's budget is spent, so
    only life-safety texts go."""
    from salama.messaging.dispatch import _suppress_at_send, record_failure
    from salama.messaging.reach import unreachable_reason

    granted = take(phone, MAX_PER_POLL)
    max_priority = Priority.LIFE_SAFETY if held else Priority.BULK
    claimed = claim_for(phone, granted, max_priority)
    give_back(phone, granted - len(claimed))
    out = []
    for delivery in claimed:
        point = delivery.message.contact_point
        if point is None:
            record_failure(delivery, "no contact point", permanent=True)
            continue
        why = unreachable_reason(point)
        if why is not None and not delivery.is_released:
            _suppress_at_send(delivery, why)  # the phone was seized after queueing
            continue
        body, address = delivery.message.body, point.value
        if not isinstance(body, str) or not isinstance(address, str) or not address:
            record_failure(delivery, "key unavailable", permanent=True)
            continue
        mark_sent(delivery, f"{phone.key}:{delivery.our_ref}")
        out.append({"ref": delivery.our_ref, "to": address, "text": body})
    return out
