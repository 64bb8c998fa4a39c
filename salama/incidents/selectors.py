"""Reads for the pages, the API and the exports. Every read starts from the organisation.

The public edition (`public_rows`) is its own restricted query: only the published columns
(the SSA's Category A, `PUBLIC_COLUMNS`) are selected, with `.values()`, from verified incidents
at possible or above; the area only when the organisation's audited setting allows the first-level
area. Nothing withheld is read, so no template or serializer can leak it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth

from salama.accounts.models import Organisation
from salama.incidents.models import FacilityProposal, Incident, Report
from salama.incidents.orgsettings import PUBLISH_AREA
from salama.incidents.vocabulary import ATTACK_TYPES, CERTAINTY, STATES

PUBLISHED_CERTAINTY = ("possible", "probable", "confirmed")
# The published columns, in order (what the public CSV carries besides one column per type).
PUBLIC_COLUMNS = (
    "number", "occurred_on", "occurred_time", "attack_types", "resources", "facility_type",
    "killed_total", "injured_total", "detained_health_workers", "detained_patients",
    "certainty",
)  # fmt: skip
PUBLIC_AREA_COLUMN = "area__name_en"
OPEN_STATES = ("draft", "under_review")


@dataclass
class Filters:
    attack_type: str = ""
    area: int | None = None
    facility: int | None = None
    certainty: str = ""
    state: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> Filters:
        def number(key: str) -> int | None:
            value = str(query.get(key) or "")
            return int(value) if value.isdigit() and len(value) < 12 else None

        def day(key: str) -> date | None:
            try:
                return date.fromisoformat(str(query.get(key) or ""))
            except ValueError:
                return None

        attack_type = str(query.get("type") or "")
        certainty = str(query.get("certainty") or "")
        state = str(query.get("state") or "")
        return cls(
            attack_type=attack_type if attack_type in ATTACK_TYPES else "",
            area=number("area"), facility=number("facility"),
            certainty=certainty if certainty in CERTAINTY else "",
            state=state if state in STATES else "",
            since=day("since"), until=day("until"),
        )  # fmt: skip

    def apply(self, rows: QuerySet[Incident]) -> QuerySet[Incident]:
        if self.attack_type and connection.vendor == "postgresql":
            rows = rows.filter(attack_types__contains=[self.attack_type])
        elif self.attack_type:  # SQLite has no JSON containment: the quoted code in the list
            rows = rows.filter(attack_types__icontains=f'"{self.attack_type}"')
        if self.area:
            rows = rows.filter(area_id=self.area)
        if self.facility:
            rows = rows.filter(facility_id=self.facility)
        if self.certainty:
            rows = rows.filter(
                Q(certainty=self.certainty) | Q(certainty="", certainty_suggested=self.certainty)
            )
        if self.state:
            rows = rows.filter(state=self.state)
        if self.since:
            rows = rows.filter(occurred_on__gte=self.since)
        if self.until:
            rows = rows.filter(occurred_on__lte=self.until)
        return rows


def incidents(org: Organisation) -> QuerySet[Incident]:
    return Incident.objects.for_org(org)


def incident_of(org: Organisation, incident_id: int) -> Incident | None:
    return incidents(org).filter(pk=incident_id).select_related("area", "facility").first()


def report_of(org: Organisation, report_id: int) -> Report | None:
    return Report.objects.for_org(org).filter(pk=report_id).select_related("area").first()


LIST_VALUES = (
    "id", "number", "state", "occurred_on", "occurred_time", "area_id", "area__name_en",
    "area__name_ar", "attack_types", "certainty", "certainty_suggested", "killed_total",
    "injured_total", "facility_id", "created_at",
)  # fmt: skip


def queue(org: Organisation, limit: int = 100) -> list[dict[str, Any]]:
    """Open incidents for verification: drafts and rumours first, then the oldest first."""
    rank = Case(
        When(Q(state="draft") | Q(certainty_suggested="rumour"), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    rows = (
        incidents(org)
        .filter(state__in=OPEN_STATES)
        .annotate(rank=rank)
        .order_by("rank", "created_at", "id")
        .values(*LIST_VALUES)
    )
    return list(rows[:limit])


def unconsolidated(org: Organisation, limit: int = 200) -> list[Report]:
    return list(
        Report.objects.for_org(org)
        .filter(incident__isnull=True)
        .select_related("area")
        .order_by("-received_at")[:limit]
    )


def timeline(org: Organisation, filters: Filters, limit: int = 100) -> list[dict[str, Any]]:
    rows = filters.apply(incidents(org)).order_by("-occurred_on", "-id").values(*LIST_VALUES)
    return list(rows[:limit])


def map_points(org: Organisation, filters: Filters) -> list[dict[str, Any]]:
    """Incidents per area, at the area's centre (an exact place is encrypted and never drawn)."""
    rows = (
        filters.apply(incidents(org))
        .exclude(area__latitude=None)
        .values("area_id", "area__name_en", "area__name_ar", "area__latitude", "area__longitude")
        .annotate(incidents=Count("id"), killed=Sum("killed_total"), injured=Sum("injured_total"))
        .order_by("area_id")
    )
    return [
        {
            "area": r["area_id"], "name": r["area__name_en"], "name_ar": r["area__name_ar"],
            "lat": r["area__latitude"], "lon": r["area__longitude"],
            "incidents": r["incidents"], "killed": r["killed"] or 0, "injured": r["injured"] or 0,
        }
        for r in rows
    ]  # fmt: skip


def monthly(org: Organisation, filters: Filters) -> list[dict[str, Any]]:
    """Incidents, deaths and injuries per month, for the charts."""
    rows = (
        filters.apply(incidents(org))
        .exclude(state__in=("duplicate", "withdrawn"))
        .annotate(month=TruncMonth("occurred_on"))
        .values("month")
        .annotate(incidents=Count("id"), killed=Sum("killed_total"), injured=Sum("injured_total"))
        .order_by("month")
    )
    return [
        {"month": r["month"], "incidents": r["incidents"], "killed": r["killed"] or 0,
         "injured": r["injured"] or 0}
        for r in rows
    ]  # fmt: skip


def facility_history(org: Organisation, facility_id: int, limit: int = 200) -> list[dict[str, Any]]:
    rows = incidents(org).filter(facility_id=facility_id).order_by("-occurred_on", "-id")
    return list(rows.values(*LIST_VALUES)[:limit])


def open_proposal(incident: Incident) -> FacilityProposal | None:
    return (
        FacilityProposal.objects.filter(incident=incident, state="proposed")
        .select_related("facility")
        .first()
    )


def publishes_area(org: Organisation) -> bool:
    return bool(org.setting(PUBLISH_AREA, False))


def public_columns(org: Organisation) -> tuple[str, ...]:
    return (*PUBLIC_COLUMNS, PUBLIC_AREA_COLUMN) if publishes_area(org) else PUBLIC_COLUMNS


def public_rows(org: Organisation, chunk: int = 2000) -> Iterator[dict[str, Any]]:
    """The public edition: published columns of verified incidents at possible or above."""
    rows = (
        Incident.objects.filter(org_id=org.pk, state="verified", certainty__in=PUBLISHED_CERTAINTY)
        .order_by("occurred_on", "number")
        .values(*public_columns(org))
    )
    return rows.iterator(chunk_size=chunk)


INTERNAL_COLUMNS = (
    "id", "number", "state", "ssa_version", "occurred_on", "occurred_time", "area_id",
    "area__name_en", "area__latitude", "area__longitude", "attack_types", "resources",
    "facility_id", "facility__name", "facility_type", "affiliation", "damage", "functionality",
    "killed_provider", "killed_auxiliary", "killed_patient", "killed_other", "killed_total",
    "injured_provider", "injured_auxiliary", "injured_patient", "injured_other",
    "injured_total", "detained_health_workers", "detained_patients", "targeted",
    "impact_kind", "certainty", "certainty_suggested", "is_certainty_overridden",
    "duplicate_of__number", "created_at", "verified_at",
)  # fmt: skip


def internal_rows(
    org: Organisation, filters: Filters, chunk: int = 2000
) -> Iterator[dict[str, Any]]:
    rows = filters.apply(incidents(org)).order_by("occurred_on", "number")
    return rows.values(*INTERNAL_COLUMNS).iterator(chunk_size=chunk)


def source_kinds(org: Organisation, incident_ids: list[int]) -> dict[int, list[str]]:
    from salama.incidents.models import Source

    out: dict[int, list[str]] = {}
    for incident_id, kind in Source.objects.filter(
        org_id=org.pk, incident_id__in=incident_ids
    ).values_list("incident_id", "kind"):
        out.setdefault(incident_id, []).append(kind)
    return out
