"""Token buckets per channel in the database, shared by every worker. Taking tokens is a
conditional UPDATE on the values just read (retried on a race); a batch never takes more than
one second of the channel's rate, and never more than the bucket's capacity at once.

A bucket that filled up shortly before a worker looked does not lose what accrued in between.
Tokens are whole, so the bucket's state is a count of tokens at a moment (``tokens`` at
``updated_at``): when a look finds the bucket full, the grant is counted from the moment it
filled, not from the moment of the look, as long as that moment is at most
``LATE_LOOK_CREDIT`` seconds back (a worker looks again at the latest a second after it last
found nothing to do). Without that, a bucket of one token (a phone's pace, 0.5 a second) lost
the part of every two seconds between the token filling and the next look: about 25 texts a
minute instead of 30. A bucket full for longer than that was idle, and starts afresh: the burst
after an idle spell is the configured capacity. The rate sustained under a backlog is therefore
the configured rate, whatever the moments of the looks; the price is that a grant may follow the
previous one sooner than a token's interval by the previous look's lateness (at most
``LATE_LOOK_CREDIT`` seconds of the rate over any stretch, on top of the capacity)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Least

from salama.lib import clock
from salama.messaging.models import RateBucket

# How late a look may be, after the bucket filled, and still be counted from the moment it filled.
LATE_LOOK_CREDIT = 1.0  # seconds


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


def _state_at(bucket: RateBucket, now: datetime) -> tuple[float, datetime]:
    """The tokens available at `now` (at most the capacity) and the moment they are counted
    from: `now`, or the moment the bucket filled when that was at most LATE_LOOK_CREDIT ago."""
    rate = bucket.refill_per_second
    elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
    accrued = bucket.tokens + elapsed * rate
    if accrued <= bucket.capacity or rate <= 0:
        return min(bucket.capacity, accrued), now
    to_fill = max(0.0, (bucket.capacity - bucket.tokens) / rate)
    filled_at = bucket.updated_at + timedelta(seconds=to_fill)
    if (now - filled_at).total_seconds() <= LATE_LOOK_CREDIT:
        return bucket.capacity, filled_at
    return bucket.capacity, now  # full for longer: it was idle


def tokens_on_hand(channel: str, default: float) -> float:
    """Whole tokens the bucket could grant now (`default` when it has no row yet: a bucket
    starts full). Read only, for estimates."""
    bucket = RateBucket.objects.filter(channel=channel).first()
    if bucket is None:
        return default
    return float(int(_state_at(bucket, clock.now())[0]))


def take_or_wait(channel: str, wanted: int) -> tuple[int, float | None]:
    """Take up to `wanted` tokens (never more than one second of the channel's rate, never more
    than its capacity) with a conditional update. Returns how many were granted and, when none
    were, in how many seconds the next whole token is due (None: never, the rate is zero)."""
    for _attempt in range(5):
        bucket = bucket_for(channel)
        now = clock.now()
        available, counted_from = _state_at(bucket, now)
        granted = min(wanted, int(available), one_second_of(bucket))
        if granted <= 0:
            rate = bucket.refill_per_second
            return 0, ((1.0 - available) / rate if rate > 0 else None)
        taken = RateBucket.objects.filter(
            pk=bucket.pk, tokens=bucket.tokens, updated_at=bucket.updated_at
        ).update(tokens=available - granted, updated_at=max(counted_from, bucket.updated_at))
        if taken:
            return granted, None
    return 0, None


def take_tokens(channel: str, wanted: int) -> int:
    """Take up to `wanted` tokens; returns how many were granted (0: wait)."""
    return take_or_wait(channel, wanted)[0]


def give_back_tokens(channel: str, count: int) -> None:
    if count > 0:
        RateBucket.objects.filter(channel=channel).update(
            tokens=Least(F("tokens") + float(count), F("capacity"))
        )
