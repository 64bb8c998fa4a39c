"""Token buckets per channel in the database, shared by every worker. Taking tokens is a
conditional UPDATE on the values just read (retried on a race); a batch never takes more than
one second of the channel's rate."""

from __future__ import annotations

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Least

from salama.lib import clock
from salama.messaging.models import RateBucket


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
