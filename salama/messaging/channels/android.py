"""The Android phone gateway, in the SMSSync style (docs/channels.md states the protocol).

A phone with a local SIM relays texts: it POSTs the texts it receives (with their SMSC time)
and polls for the ones to send, authenticated by its shared secret (``Authorization: Bearer``),
compared in constant time against the stored SHA-256 hash. An organisation may have several
phones; a delivery on the ``android`` channel is not bound to one: the first phone that polls
and may take it takes it, so a revoked or lost phone leaves nothing stranded.

Routing at the poll: a recipient whose contact point names an operator that one of the
organisation's phones is on (a phone that polled within ``ANDROID_PRESENT_MINUTES``) is sent
only through such a phone; any other recipient through any phone.

Pacing, two checks at each poll (Android refuses the 31st text an app sends within a minute):

- the pace: each phone has its own token bucket (RateBucket ``android:<id>``), refilled at the
  pace it can keep (``sustained_per_minute``: its ``per_minute``, default 20, or less where
  Android's limit and its polls allow less), holding enough for about one and a half of the
  phone's poll intervals (learned from its polls; ``DEFAULT_POLL_SECONDS`` until then), so a
  poll takes what accrued since the last one;
- the limit: a poll hands the phone at most ``ANDROID_LIMIT_PER_MINUTE - 1`` (29) texts less
  those handed to it in the last 60 seconds, ends included, and texts other than life-safety
  ones only up to that less ``LIFE_SAFETY_RESERVE``; counted from
  ``AndroidPhone.recent_handoffs``, written in the same transaction as the hand-offs, with the
  phone's row locked (two polls of one phone at once are served one after the other).

The roll-call estimate replays these checks poll by poll (``seconds_to_hand``).

The hand-off: handing a text to a polling phone marks the delivery sent (``handed_off_at``); the
phone's later "delivered" or "failed" report goes through ``outbox.record_status``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, When

from salama.lib import clock
from salama.messaging.buckets import take_tokens
from salama.messaging.channels.base import Channel, TemporaryError
from salama.messaging.dispatch import mark_sent_many
from salama.messaging.models import AndroidPhone, Delivery, DeliveryState, Priority, RateBucket

if TYPE_CHECKING:
    from salama.messaging.models import Message

log = logging.getLogger("salama.messaging")

NAME = "android"
ANDROID_LIMIT_PER_MINUTE = 30
# Of the texts a phone may be handed in any 60 seconds, these are kept for life-safety ones:
# other texts fill the minute only up to the rest, so a call for help never waits for a bulk
# send's minute to pass (a HELP goes to a lead, a deputy and the coordinator on duty at once).
LIFE_SAFETY_RESERVE = 4
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

# How often a phone is taken to poll until its polls say (seconds): the longest interval the
# documentation advises, so a new phone's first polls are not starved.
DEFAULT_POLL_SECONDS = 30.0
# Gaps between polls longer than this count as this much (the phone was away, not slow), and
# shorter ones as this much.
LONGEST_POLL_SECONDS = 60.0
SHORTEST_POLL_SECONDS = 1.0
WINDOW = timedelta(seconds=60)


def most_per_minute(per_minute: int) -> int:
    """The most texts the phone is handed in any 60 seconds: Android's limit less one. The
    phones page and ``phones.add_phone`` allow paces of 1 to 29 only; a row with a faster pace
    is written only by the benchmarks' time-compressed runs (``bench/b2db.py``, a phone's minute
    in a few seconds), and is held to its pace instead."""
    return max(ANDROID_LIMIT_PER_MINUTE - 1, int(per_minute))


def _per_minute(per_minute: int) -> int:
    return max(1, int(per_minute))


def _interval(poll_seconds: float | None) -> float:
    seconds = DEFAULT_POLL_SECONDS if poll_seconds is None else poll_seconds
    return max(SHORTEST_POLL_SECONDS, min(float(seconds), LONGEST_POLL_SECONDS))


def most_but_life_safety(per_minute: int) -> int:
    """The most texts other than life-safety ones a phone is handed in any 60 seconds."""
    most = most_per_minute(per_minute)
    return max(1, most - LIFE_SAFETY_RESERVE)


def sustained_per_minute(per_minute: int, poll_seconds: float | None = None) -> float:
    """The pace a phone can keep over a long send: its own, but no more than Android's limit
    allows when texts leave in batches, one a poll. Any 60 seconds, ends included, can hold
    60 / interval + 1 polls (Android counts a text sent exactly a minute ago), so each poll may
    carry at most limit / (60 / interval + 1) texts, the limit being what is left after the
    life-safety reserve: 21.4 a minute at 29 with 10-second polls, 16.7 with 30-second ones.
    The phone's bucket refills at this pace and the roll-call estimate uses it, so the limit's
    check below rarely has anything to hold back."""
    seconds = _interval(poll_seconds)
    most = most_but_life_safety(per_minute)
    return min(float(_per_minute(per_minute)), most * 60 / (60 + seconds))


def burst_for(per_minute: int, poll_seconds: float | None = None) -> int:
    """The phone's bucket capacity: what it can send at once after an idle spell (a new phone:
    with ``DEFAULT_POLL_SECONDS``). Enough for one and a half poll intervals at its pace plus
    one, so a poll somewhat late loses nothing; never more than Android's limit less one (the
    60-second check in ``outgoing`` holds any minute to that as well; see most_per_minute)."""
    seconds = _interval(poll_seconds)
    tokens = math.ceil(_per_minute(per_minute) / 60 * seconds * 1.5) + 1
    return max(1, min(most_per_minute(per_minute), tokens))


def set_pacing(phone: AndroidPhone) -> None:
    """Create the phone's bucket, or set its rate and capacity to the phone's pace and polls."""
    per_minute = _per_minute(phone.per_minute)
    burst = float(burst_for(per_minute, phone.poll_seconds))
    rate = sustained_per_minute(per_minute, phone.poll_seconds) / 60
    bucket, created = RateBucket.objects.get_or_create(
        channel=phone.bucket,
        defaults={"capacity": burst, "refill_per_second": rate, "tokens": burst},
    )
    if not created and (bucket.capacity, bucket.refill_per_second) != (burst, rate):
        RateBucket.objects.filter(pk=bucket.pk).update(
            capacity=burst, refill_per_second=rate, tokens=min(bucket.tokens, burst)
        )
    now = clock.now()
    if not created and bucket.updated_at > now:
        # The server's clock was set back: a bucket counted from a later moment would accrue
        # nothing until the clock caught up (an hour's step: an hour without texts).
        RateBucket.objects.filter(pk=bucket.pk).update(updated_at=now)


def learn_interval(phone: AndroidPhone, now: datetime) -> None:
    """Note a poll at `now` on the (locked) phone: its interval (from DEFAULT_POLL_SECONDS)
    follows a longer gap at once and a shorter one half the way a poll (a phone polling every
    10 s is known within a second after five polls; one quick poll, a "sync now", halves it
    for a poll or two). Saved by the caller."""
    if phone.last_poll_at is not None:
        gap = (now - phone.last_poll_at).total_seconds()
        gap = max(SHORTEST_POLL_SECONDS, min(gap, LONGEST_POLL_SECONDS))
        old = DEFAULT_POLL_SECONDS if phone.poll_seconds is None else phone.poll_seconds
        phone.poll_seconds = max(gap, (old + gap) / 2)
    phone.last_poll_at = now


def handed_within_window(phone: AndroidPhone, now: datetime) -> int:
    """Texts handed to the phone in the 60 seconds before `now` (its recent_handoffs)."""
    since = (now - WINDOW).timestamp()  # ends included, as Android counts
    return sum(int(count) for at, count in phone.recent_handoffs if float(at) >= since)


def _note_handoffs(phone: AndroidPhone, now: datetime, count: int) -> None:
    """Keep the last 60 seconds' hand-offs and add this poll's. One noted later than `now` (the
    server's clock was set back) counts as at `now`: it holds the phone back a minute at most."""
    since, at_most = (now - WINDOW).timestamp(), now.timestamp()
    recent = [[min(float(at), at_most), n] for at, n in phone.recent_handoffs if float(at) >= since]
    if count:
        recent.append([now.timestamp(), count])
    phone.recent_handoffs = recent


def seconds_to_hand(phone: AndroidPhone, count: int) -> float:
    """How long until the phone has been handed `count` more texts, polling at its interval
    (learned, else DEFAULT_POLL_SECONDS): a replay of ``outgoing``'s two checks from the
    bucket's whole tokens and the hand-offs of the last minute now, for the roll-call estimate.
    Read only."""
    from salama.messaging.buckets import tokens_on_hand

    now = clock.now()
    interval = _interval(phone.poll_seconds)
    rate = sustained_per_minute(phone.per_minute, phone.poll_seconds) / 60
    capacity = burst_for(phone.per_minute, phone.poll_seconds)
    tokens = tokens_on_hand(phone.bucket, capacity)
    most = most_per_minute(phone.per_minute)
    others = most_but_life_safety(phone.per_minute)  # roll calls are not life-safety texts
    window = WINDOW.total_seconds()
    handed = [
        (float(at) - now.timestamp(), int(n))
        for at, n in phone.recent_handoffs
        if float(at) >= now.timestamp() - window
    ]
    left, moment, last = count, 0.0, 0.0
    while left > 0 and moment < 86_400:
        recent = sum(n for at, n in handed if at >= moment - window)
        granted = int(tokens)
        allowed = min(granted, max(0, most - recent))
        given = min(allowed, max(0, others - recent), left)
        if given:
            handed.append((moment, given))
            left -= given
            last = moment
        # What the limit held back is dropped; what was allowed but not taken is given back.
        tokens = tokens - granted + (allowed - given)
        moment += interval
        tokens = min(float(capacity), tokens + rate * interval)
    return last


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
    with a lease (inside the poll's transaction: the rows stay locked until it commits)."""
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
    """What a poll hands to the phone: paced by its bucket, at most Android's limit less one
    in any 60 seconds (other texts less the life-safety reserve), routed by operator; each one
    handed over is marked sent (the hand-off), in one transaction with the phone's row locked
    and its count of recent hand-offs.
    `held`: the organisation's budget is spent, so only life-safety texts go. A phone revoked
    since its request was authenticated gets nothing."""
    from salama.messaging.dispatch import _suppress_at_send, record_failure
    from salama.messaging.reach import unreachable_reason

    with transaction.atomic():
        locked = AndroidPhone.objects.select_for_update().filter(pk=phone.pk).first()
        if locked is None or not locked.is_active:
            return []
        now = clock.now()
        learn_interval(locked, now)
        set_pacing(locked)
        handed = handed_within_window(locked, now)
        room = max(0, most_per_minute(locked.per_minute) - handed)
        # All the bucket holds: what the 60-second limit keeps back is dropped, not banked (a
        # bucket kept full by the limit would hand a burst at every other poll, for ever).
        granted = take(locked, MAX_PER_POLL)
        allowed = min(granted, room)
        # Life-safety texts first, up to the whole limit; the others only up to the limit less
        # the life-safety reserve, counting what this poll already took.
        claimed = claim_for(locked, allowed, Priority.LIFE_SAFETY)
        if not held:
            others = most_but_life_safety(locked.per_minute) - handed - len(claimed)
            others = max(0, min(allowed - len(claimed), others))
            claimed += claim_for(locked, others, Priority.BULK)
        give_back(locked, allowed - len(claimed))
        sent: list[tuple[Delivery, str]] = []
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
            sent.append((delivery, f"{locked.key}:{delivery.our_ref}"))
            out.append({"ref": delivery.our_ref, "to": address, "text": body})
        mark_sent_many(sent)
        _note_handoffs(locked, now, len(out))
        locked.save(update_fields=["last_poll_at", "poll_seconds", "recent_handoffs"])
    phone.last_poll_at, phone.poll_seconds = locked.last_poll_at, locked.poll_seconds
    phone.recent_handoffs = locked.recent_handoffs
    return out
