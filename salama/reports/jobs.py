"""The reports job (registered in ReportsConfig.ready): at each organisation's sitrep hour
(local time) the day's internal and partner editions, once per day (a unique constraint keeps a
second worker from writing them twice); and expired reports deleted. Looks at most once a minute
per worker process."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from salama.accounts.models import Organisation
from salama.lib import clock
from salama.reports import services
from salama.reports.models import Edition, Report, Trigger
from salama.reports.options import options_of

log = logging.getLogger("salama.reports")
EVERY = timedelta(minutes=1)
SCHEDULED_EDITIONS = (Edition.INTERNAL, Edition.PARTNER)
_last: dict[str, datetime] = {}


def due_editions(org: Organisation, now: datetime) -> list[str]:
    hour = options_of(org).sitrep_hour
    if hour < 0:
        return []
    local = now.astimezone(ZoneInfo(org.time_zone))
    if local.hour < hour:
        return []
    done = set(
        Report.objects.for_org(org)
        .filter(trigger=Trigger.SCHEDULED, day=local.date(), lead=None)
        .values_list("edition", flat=True)
    )
    return [e for e in SCHEDULED_EDITIONS if e not in done]


def run_scheduled(now: datetime | None = None) -> int:
    """Write every due scheduled edition; returns how many were written."""
    now = now or clock.now()
    written = 0
    for org in Organisation.objects.filter(is_active=True).order_by("pk"):
        local_day = now.astimezone(ZoneInfo(org.time_zone)).date()
        for edition in due_editions(org, now):
            try:
                with transaction.atomic():
                    services.generate_report(
                        org=org, edition=edition, trigger=Trigger.SCHEDULED, day=local_day,
                        now=now,
                    )  # fmt: skip
            except IntegrityError:
                continue  # another worker wrote it
            written += 1
    return written


def sitrep_job() -> bool:
    now = clock.now()
    last = _last.get("at")
    if last is not None and last <= now < last + EVERY:
        return False
    _last["at"] = now
    written = run_scheduled(now)
    pruned = services.prune_expired(now)
    if written or pruned:
        log.info("reports", extra={"written": written, "pruned": pruned})
    return bool(written or pruned)
