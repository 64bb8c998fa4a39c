"""Fixed-window counters in the database, so every web process and host shares them."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from salama.accounts.models import RateCounter
from salama.lib import clock


def _window_start(window: int) -> datetime:
    now = clock.now()
    epoch = int(now.timestamp())
    return now - timedelta(seconds=epoch % window, microseconds=now.microsecond)


def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one event under `key`; return False if the limit for this window is exceeded."""
    start = _window_start(window)
    with transaction.atomic():
        counter, created = RateCounter.objects.select_for_update().get_or_create(
            key=key, defaults={"window_start": start, "count": 1}
        )
        if created:
            return True
        if counter.window_start != start:
            RateCounter.objects.filter(pk=counter.pk).update(window_start=start, count=1)
            return True
        RateCounter.objects.filter(pk=counter.pk).update(count=F("count") + 1)
        return counter.count + 1 <= limit


def is_exceeded(key: str, *, limit: int, window: int) -> bool:
    start = _window_start(window)
    counter = RateCounter.objects.filter(key=key, window_start=start).first()
    return bool(counter and counter.count >= limit)


def reset(key: str) -> None:
    RateCounter.objects.filter(key=key).delete()
