"""Reads for the facilities pages, the API and the exports. The board reads only the current
status rows (one per facility), never the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet

from salama.accounts.models import Organisation
from salama.facilities.models import FacilityAlert, FacilityStatus, StatusUpdate
from salama.facilities.vocabulary import FacilityType, Functionality, Service
from salama.lib import clock
from salama.people.models import Facility

HISTORY_DAYS = 30
HISTORY_ROWS = 500
AVAILABLE = ("full", "partial")


@dataclass(frozen=True)
class BoardFilters:
    area: int | None = None
    facility_type: str = ""
    service: str = ""  # a service that is fully or partially available
    functionality: str = ""

    @classmethod
    def from_query(cls, query: Any) -> BoardFilters:
        raw_area = str(query.get("area", ""))
        kind = str(query.get("type", ""))
        service = str(query.get("service", ""))
        func = str(query.get("functionality", ""))
        return cls(
            area=int(raw_area) if raw_area.isdigit() else None,
            facility_type=kind if kind in FacilityType.values else "",
            service=service if service in Service.values else "",
            functionality=func if func in Functionality.values else "",
        )


def board(org: Organisation, filters: BoardFilters | None = None) -> QuerySet[FacilityStatus]:
    """Every facility's current status (with its facility and area), filtered."""
    filters = filters or BoardFilters()
    rows = FacilityStatus.objects.for_org(org).select_related("facility", "facility__area")
    if filters.area:
        rows = rows.filter(facility__area_id=filters.area)
    if filters.facility_type:
        rows = rows.filter(facility_type=filters.facility_type)
    if filters.functionality:
        rows = rows.filter(functionality=filters.functionality)
    if filters.service == Service.TRAUMA:
        rows = rows.filter(takes_trauma=True)  # indexed: "where can a trauma case go now"
    elif filters.service:
        rows = rows.filter(**{f"services__{filters.service}__level__in": AVAILABLE})
        rows = rows.exclude(functionality=Functionality.NONE)
    return rows.order_by("facility__name")


# Every row of the board (the map, the counts, the pages): no datetime and no JSON, whose
# conversion costs more than the query for 2,000 rows.
MAP_VALUES = (
    "facility_id", "facility__name", "facility__name_ar", "facility__latitude",
    "facility__longitude", "code", "functionality",
)  # fmt: skip
# The table's page of rows only.
TABLE_VALUES = (
    "facility_id", "facility__area__name_en", "facility__area__name_ar", "facility_type",
    "beds_total", "beds_occupied", "min_days", "low_stocks", "observed_at",
)  # fmt: skip


def board_values(org: Organisation, filters: BoardFilters | None = None) -> list[dict[str, Any]]:
    """The board's rows as plain values (the facilities page with 2,000 facilities stays under
    100 ms): what the map and the counts need; ``table_values`` adds the rest for one page."""
    return list(board(org, filters).values(*MAP_VALUES))


def table_values(org: Organisation, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (one page of board_values) with the table's other columns, in the same order."""
    ids = [row["facility_id"] for row in rows]
    more = {
        r["facility_id"]: r
        for r in FacilityStatus.objects.for_org(org)
        .filter(facility_id__in=ids)
        .values(*TABLE_VALUES)
    }
    return [{**row, **more.get(row["facility_id"], {})} for row in rows]


def map_points(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """The board's rows for facilities/map.js, compact (2,000 facilities in ~150 kB):
    [facility id, latitude, longitude, functionality, name, Arabic name, code]."""
    return [
        [
            row["facility_id"],
            round(row["facility__latitude"], 5),
            round(row["facility__longitude"], 5),
            row["functionality"],
            row["facility__name"],
            row["facility__name_ar"] or row["facility__name"],
            row["code"],
        ]  # fmt: skip
        for row in rows
        if row["facility__latitude"] is not None and row["facility__longitude"] is not None
    ]


def counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    found = {f: 0 for f in Functionality.values}
    for row in rows:
        found[row["functionality"]] = found.get(row["functionality"], 0) + 1
    return found


def history(facility: Facility, now: datetime | None = None) -> list[StatusUpdate]:
    """The facility's updates over the last HISTORY_DAYS, oldest first (at most HISTORY_ROWS,
    the newest kept)."""
    since = (now or clock.now()) - timedelta(days=HISTORY_DAYS)
    rows = list(
        StatusUpdate.objects.for_org(facility.org_id)
        .filter(facility=facility, observed_at__gte=since)
        .select_related("by_person")
        .order_by("-observed_at", "-id")[:HISTORY_ROWS]
    )
    return rows[::-1]


def facility_of(org: Organisation, facility_id: int) -> Facility | None:
    return (
        Facility.objects.for_org(org)
        .select_related("area", "status")
        .filter(pk=facility_id)
        .first()
    )


def open_alerts(org: Organisation, limit: int = 20) -> list[FacilityAlert]:
    """The facility alerts not yet closed, newest first (one row per cause)."""
    return list(
        FacilityAlert.objects.for_org(org)
        .exclude(alert__state="closed")
        .select_related("alert", "facility")
        .order_by("-alert__opened_at", "-id")[:limit]
    )
