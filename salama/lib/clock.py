"""The one source of time. Tests move it with time-machine; nothing calls datetime.now()."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
