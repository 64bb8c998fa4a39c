"""Reads for the dashboard: the board's headline numbers (safety's selectors) and one map with
layers: areas (staff counts from safety's map data), facilities by functionality (facilities'
board rows) with each facility's functionality at the end of each of the last DAYS days, for
the time slider; incidents and movements in progress (`dashboard_layers`).

Coordinators read the internal edition. Everyone else who may read the partner edition (field
leads, observers, liaisons) gets counts only: staff per area only when the organisation allows
per-area detail to partners, no facility (an exact place), and the partner layers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from salama.accounts.models import Organisation
from salama.facilities import selectors as facility_selectors
from salama.facilities.models import StatusUpdate
from salama.lib import clock
from salama.reports import dashboard_layers
from salama.reports.options import options_of
from salama.reports.sections_core import functionality_before
from salama.safety import selectors as safety_selectors

DAYS = 7


def day_ends(org: Organisation, now: datetime) -> list[datetime]:
    """The end of each of the last DAYS local days (today's end being now), oldest first."""
    local = now.astimezone(ZoneInfo(org.time_zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return [midnight - timedelta(days=DAYS - 2 - i) for i in range(DAYS - 1)] + [now]


def facility_timeline(org: Organisation, ids: list[int], ends: list[datetime]) -> dict[int, list]:
    """Each facility's functionality at each end: the state before the first day (one index
    probe per facility), then the updates observed within the days."""
    start = ends[0] - timedelta(days=1)
    before = functionality_before(org, ids, start)
    out: dict[int, list[str]] = {i: [before.get(i, "unknown")] * len(ends) for i in ids}
    rows = (
        StatusUpdate.objects.for_org(org)
        .filter(facility_id__in=ids, observed_at__gte=start, observed_at__lte=ends[-1])
        .order_by("facility_id", "observed_at", "id")
        .values_list("facility_id", "observed_at", "functionality")
    )
    for facility_id, at, functionality in rows.iterator():
        days = out[facility_id]
        for n, end in enumerate(ends):
            if at <= end:
                days[n] = functionality
    return out


def dashboard(
    org: Organisation, now: datetime | None = None, *, internal: bool = True
) -> dict[str, Any]:
    now = now or clock.now()
    summary = safety_selectors.board_summary(org, safety_selectors.Filters(), now)
    people = safety_selectors.board_people(org, safety_selectors.Filters())
    since = summary.event.started_at if summary.event else None
    areas = [
        [item["lat"], item["lon"], item["name"], item["name_ar"] or item["name"],
         item["total"], item["heard"], item["overdue"], item["help"], item["polygon"]]
        for item in safety_selectors.map_data(people, org, since)
        if item["kind"] == "area"
    ]  # fmt: skip
    if not internal and not options_of(org).by_area:
        areas = []
    rows = facility_selectors.board_values(org)
    points = facility_selectors.map_points(rows) if internal else []
    ends = day_ends(org, now)
    timeline = facility_timeline(org, [p[0] for p in points], ends)
    facilities = [[*p, timeline.get(p[0], [])] for p in points]
    return {
        "summary": summary,
        "facility_counts": facility_selectors.counts(rows),
        "areas": areas,
        "facilities": facilities,
        **dashboard_layers.layers(org, internal=internal),
        "days": [
            (end - timedelta(microseconds=1))
            .astimezone(ZoneInfo(org.time_zone))
            .strftime("%Y-%m-%d")
            for end in ends
        ],
    }
