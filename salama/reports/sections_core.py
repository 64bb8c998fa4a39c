"""The sections for what stands on main today: staff accountability, roll calls, facilities.

Each edition has its own function with its own query. Internal: the whole organisation, with
codenames where a coordinator acts on them (not heard since the event, overdue). Lead: the same
shape for the lead's teams only (the persons query is filtered by team before anything is
read). Partner: counts from `aggregate()`/`values()` over state columns and, only when the
organisation allows it, the area; never a codename, a name, a number or a note.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from salama.facilities.models import FacilityStatus, StatusUpdate
from salama.facilities.vocabulary import FUNCTIONALITY_RANK, Functionality
from salama.people.models import Area, DecisionKind, Facility, Person, Status
from salama.reports import sections
from salama.reports.sections import Scope, Section
from salama.rollcalls.models import RollCall, RollCallRecipient
from salama.safety.models import Event
from salama.safety.selectors import OUT_OF_SWEEP, overdue_q

LIST_LIMIT = 60  # codenames listed per list in the internal and lead editions
WINDOW = timedelta(hours=24)  # the period of a first report (no previous one)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _since(scope: Scope) -> datetime:
    return scope.since or scope.now - WINDOW


def latest_event(scope: Scope) -> Event | None:
    return Event.objects.for_org(scope.org).order_by("-started_at", "-id").first()


# --- staff accountability ------------------------------------------------------------------


def _state_counts(persons: QuerySet[Person], now: datetime, event: Event | None) -> dict:
    undecided = Q(decision="")
    in_sweep = ~OUT_OF_SWEEP
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "fresh": Count("pk", filter=in_sweep & Q(heard_at__isnull=False) & ~overdue_q(now)),
        "overdue": Count("pk", filter=in_sweep & Q(heard_at__isnull=False) & overdue_q(now)),
        "never": Count("pk", filter=in_sweep & Q(heard_at__isnull=True)),
    }
    for status in Status.values:
        aggregates[status] = Count("pk", filter=undecided & Q(state=status))
    for kind in DecisionKind.values:
        aggregates[kind] = Count("pk", filter=Q(decision=kind))
    if event is not None:
        aggregates["heard_since_event"] = Count(
            "pk", filter=in_sweep & Q(heard_at__gte=event.started_at)
        )
        aggregates["in_sweep"] = Count("pk", filter=in_sweep)
    return persons.aggregate(**aggregates)


def _event_data(event: Event | None) -> dict[str, Any] | None:
    if event is None:
        return None
    return {"started_at": _iso(event.started_at), "is_open": event.closed_at is None}


def _changes(scope: Scope, counts: dict[str, int]) -> dict[str, int]:
    if not scope.previous:
        return {}
    return {
        key: value - int(scope.previous[f"staff.{key}"])
        for key, value in counts.items()
        if f"staff.{key}" in scope.previous and value != scope.previous[f"staff.{key}"]
    }


def _by_area(persons: QuerySet[Person], scope: Scope, event: Event | None) -> list[dict]:
    heard = Q(heard_at__gte=event.started_at) if event else Q(heard_at__isnull=False)
    names = {a.pk: (a.name_en, a.name_ar) for a in Area.objects.for_org(scope.org)}
    rows = (
        persons.values("area_id")
        .annotate(
            total=Count("pk"),
            heard=Count("pk", filter=heard & ~OUT_OF_SWEEP),
            overdue=Count("pk", filter=overdue_q(scope.now) & ~OUT_OF_SWEEP),
            help=Count("pk", filter=Q(state__in=[Status.NEED_HELP, Status.INJURED], decision="")),
        )
        .order_by("area_id")
    )
    out = []
    for row in rows:
        en, ar = names.get(row["area_id"], ("", ""))
        out.append({"area": en, "area_ar": ar, **{k: row[k] for k in ("total", "heard",
                    "overdue", "help")}})  # fmt: skip
    return sorted(out, key=lambda r: (r["area"] == "", r["area"]))


def _named(persons: QuerySet[Person], scope: Scope, event: Event | None) -> dict[str, list]:
    active = persons.exclude(OUT_OF_SWEEP)
    lists: dict[str, list] = {
        "overdue": list(
            active.filter(overdue_q(scope.now), heard_at__isnull=False)
            .order_by("heard_at", "codename")
            .values_list("codename", flat=True)[:LIST_LIMIT]
        ),
        "help": list(
            persons.filter(state__in=[Status.NEED_HELP, Status.INJURED], decision="")
            .order_by("codename")
            .values_list("codename", flat=True)[:LIST_LIMIT]
        ),
    }
    if event is not None:
        lists["not_heard"] = list(
            active.filter(Q(heard_at__lt=event.started_at) | Q(heard_at__isnull=True))
            .order_by("heard_at", "codename")
            .values_list("codename", flat=True)[:LIST_LIMIT]
        )
    return lists


def _staff_full(scope: Scope, persons: QuerySet[Person]) -> dict[str, Any]:
    event = latest_event(scope)
    counts = _state_counts(persons, scope.now, event)
    return {
        "counts": counts,
        "changes": _changes(scope, counts),
        "event": _event_data(event),
        "areas": _by_area(persons, scope, event),
        "lists": _named(persons, scope, event),
    }


def staff_internal(scope: Scope) -> dict[str, Any]:
    return _staff_full(scope, Person.objects.for_org(scope.org).filter(is_active=True))


def staff_lead(scope: Scope) -> dict[str, Any]:
    persons = Person.objects.for_org(scope.org).filter(is_active=True, team_id__in=scope.team_ids)
    return _staff_full(scope, persons)


def staff_partner(scope: Scope) -> dict[str, Any]:
    """Counts only; per area when the organisation allows it. No list, no codename."""
    persons = Person.objects.for_org(scope.org).filter(is_active=True)
    event = latest_event(scope)
    counts = _state_counts(persons, scope.now, event)
    data: dict[str, Any] = {
        "counts": counts,
        "changes": _changes(scope, counts),
        "event": _event_data(event),
        "areas": [],
        "lists": {},
    }
    if scope.options.by_area:
        data["areas"] = _by_area(persons, scope, event)
    return data


def staff_figures(data: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in data["counts"].items()}


# --- roll calls -----------------------------------------------------------------------------


def _roll_calls(scope: Scope) -> QuerySet[RollCall]:
    since = _since(scope)
    return (
        RollCall.objects.for_org(scope.org)
        .filter(Q(opened_at__gte=since) | Q(state="open"))
        .order_by("opened_at", "id")
    )


def _recipient_counts(recipients: QuerySet[RollCallRecipient]) -> dict[str, dict[str, int]]:
    rows = (
        recipients.filter(is_current=True)
        .values("roll_call_id")
        .annotate(
            asked=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            withheld=Count("pk", filter=~Q(withheld="")),
        )
    )
    return {str(r["roll_call_id"]): r for r in rows}


def _rollcalls_full(scope: Scope, person_filter: Q) -> dict[str, Any] | None:
    calls = list(_roll_calls(scope))
    if not calls:
        return None
    recipients = RollCallRecipient.objects.for_org(scope.org).filter(
        person_filter, roll_call__in=calls
    )
    counts = _recipient_counts(recipients)
    silent: dict[int, list[str]] = {}
    for call_id, codename in (
        recipients.filter(is_current=True, answered_at=None, withheld="")
        .order_by("person__codename")
        .values_list("roll_call_id", "person__codename")
    ):
        names = silent.setdefault(call_id, [])
        if len(names) < LIST_LIMIT:
            names.append(codename)
    rows = []
    for call in calls:
        c = counts.get(str(call.pk), {})
        rows.append({
            "number": call.number, "opened_at": _iso(call.opened_at), "state": call.state,
            "deadline_at": _iso(call.deadline_at), "asked": c.get("asked", 0),
            "answered": c.get("answered", 0), "withheld": c.get("withheld", 0),
            "silent": silent.get(call.pk, []),
        })  # fmt: skip
    return {"calls": rows}


def rollcalls_internal(scope: Scope) -> dict[str, Any] | None:
    return _rollcalls_full(scope, Q())


def rollcalls_lead(scope: Scope) -> dict[str, Any] | None:
    data = _rollcalls_full(scope, Q(person__team_id__in=scope.team_ids))
    if data is not None:
        data["calls"] = [c for c in data["calls"] if c["asked"]]
    return data or None


def rollcalls_partner(scope: Scope) -> dict[str, Any] | None:
    """How many roll calls, how many asked and answered: totals only."""
    calls = _roll_calls(scope)
    total = calls.aggregate(n=Count("pk"))["n"]
    if not total:
        return None
    totals = (
        RollCallRecipient.objects.for_org(scope.org)
        .filter(roll_call__in=calls, is_current=True)
        .aggregate(asked=Count("pk"), answered=Count("pk", filter=Q(answered_at__isnull=False)))
    )
    return {"count": total, "asked": totals["asked"], "answered": totals["answered"]}


# --- facilities -----------------------------------------------------------------------------


def functionality_before(org: Any, facility_ids: list[int], since: datetime) -> dict[int, str]:
    """Each facility's functionality as of `since`: its latest update observed before then,
    one index probe per facility (facupdate_history), never a scan of the history."""
    latest = (
        StatusUpdate.objects.filter(facility_id=OuterRef("pk"), observed_at__lt=since)
        .order_by("-observed_at", "-id")
        .values("functionality")[:1]
    )
    rows = (
        Facility.objects.for_org(org)
        .filter(pk__in=facility_ids)
        .annotate(before=Subquery(latest))
        .values_list("pk", "before")
    )
    return {pk: before for pk, before in rows if before}


def _changed(scope: Scope) -> list[tuple[FacilityStatus, str]]:
    since = _since(scope)
    statuses = list(
        FacilityStatus.objects.for_org(scope.org)
        .filter(observed_at__gte=since)
        .select_related("facility", "facility__area")
        .order_by("facility__name")
    )
    before = functionality_before(scope.org, [s.facility_id for s in statuses], since)
    out = []
    for status in statuses:
        old = before.get(status.facility_id, Functionality.UNKNOWN)
        if old != status.functionality:
            out.append((status, old))
    return out


def _direction(old: str, new: str) -> str:
    rank_old = FUNCTIONALITY_RANK.get(Functionality(old), 0)
    rank_new = FUNCTIONALITY_RANK.get(Functionality(new), 0)
    return "worse" if rank_new < rank_old else "better"


def _functionality_counts(scope: Scope, by_area: bool) -> dict[str, Any]:
    rows = FacilityStatus.objects.for_org(scope.org)
    totals = {f: 0 for f in Functionality.values}
    for row in rows.values("functionality").annotate(n=Count("pk")):
        totals[row["functionality"]] = row["n"]
    per_area: list[dict[str, Any]] = []
    if by_area:
        table: dict[tuple[str, str], dict[str, int]] = {}
        for row in rows.values(
            "facility__area__name_en", "facility__area__name_ar", "functionality"
        ).annotate(n=Count("pk")):
            key = (row["facility__area__name_en"], row["facility__area__name_ar"])
            table.setdefault(key, {f: 0 for f in Functionality.values})[row["functionality"]] = row[
                "n"
            ]
        per_area = [{"area": en, "area_ar": ar, **c} for (en, ar), c in sorted(table.items())]
    return {"totals": totals, "areas": per_area}


def facilities_internal(scope: Scope) -> dict[str, Any] | None:
    counts = _functionality_counts(scope, by_area=True)
    if not any(counts["totals"].values()):
        return None
    changes = [
        {
            "name": s.facility.name, "name_ar": s.facility.name_ar or s.facility.name,
            "code": s.code, "area": s.facility.area.name_en,
            "area_ar": s.facility.area.name_ar or s.facility.area.name_en,
            "from": old, "to": s.functionality, "direction": _direction(old, s.functionality),
            "observed_at": _iso(s.observed_at),
        }
        for s, old in _changed(scope)
    ]  # fmt: skip
    low = [
        {
            "name": s.facility.name,
            "name_ar": s.facility.name_ar or s.facility.name,
            "code": s.code,
            "stocks": [
                {"stock": code, "days": s.stocks.get(code, {}).get("days")} for code in s.low_stocks
            ],
        }
        for s in FacilityStatus.objects.for_org(scope.org)
        .exclude(low_stocks=[])
        .select_related("facility")
        .order_by("facility__name")
    ]
    return {"counts": counts, "changes": changes, "low": low}


def facilities_partner(scope: Scope) -> dict[str, Any] | None:
    """Counts by functionality (per area only when allowed), changes and low stocks as counts;
    facility names only when the organisation names facilities to partners."""
    counts = _functionality_counts(scope, by_area=scope.options.by_area)
    if not any(counts["totals"].values()):
        return None
    worse = better = 0
    named: list[dict[str, Any]] = []
    for status, old in _changed(scope):
        direction = _direction(old, status.functionality)
        worse += direction == "worse"
        better += direction == "better"
        if scope.options.facility_names:
            named.append({
                "name": status.facility.name,
                "name_ar": status.facility.name_ar or status.facility.name,
                "from": old, "to": status.functionality, "direction": direction,
            })  # fmt: skip
    low: dict[str, int] = {}
    for stocks in (
        FacilityStatus.objects.for_org(scope.org)
        .exclude(low_stocks=[])
        .values_list("low_stocks", flat=True)
    ):
        for code in stocks:
            low[code] = low.get(code, 0) + 1
    return {
        "counts": counts,
        "worse": worse,
        "better": better,
        "named_changes": named,
        "low_by_stock": dict(sorted(low.items())),
    }


def facilities_figures(data: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in data["counts"]["totals"].items()}


def register() -> None:
    from salama.reports import sections_evacuation as evac
    from salama.reports import sections_incidents as inc
    from salama.reports import sections_negotiations as nego

    sections.register(
        Section(
            "staff", 10, "reports/sections/staff.html",
            {"internal": staff_internal, "lead": staff_lead, "partner": staff_partner},
            figures=staff_figures,
        )
    )  # fmt: skip
    sections.register(
        Section(
            "rollcalls", 20, "reports/sections/rollcalls.html",
            {"internal": rollcalls_internal, "lead": rollcalls_lead,
             "partner": rollcalls_partner},
        )
    )  # fmt: skip
    sections.register(
        Section(
            "facilities", 40, "reports/sections/facilities.html",
            {"internal": facilities_internal, "lead": facilities_internal,
             "partner": facilities_partner},
            figures=facilities_figures,
        )
    )  # fmt: skip
    sections.register(
        Section(
            "incidents", 30, "reports/sections/incidents.html",
            {"internal": inc.incidents_internal, "lead": inc.incidents_partner,
             "partner": inc.incidents_partner},
            figures=inc.incidents_figures,
        )
    )  # fmt: skip
    sections.register(
        Section(
            "evacuation", 50, "reports/sections/evacuation.html",
            {"internal": evac.evacuation_internal, "lead": evac.evacuation_lead,
             "partner": evac.evacuation_internal},
            figures=evac.evacuation_figures,
        )
    )  # fmt: skip
    sections.register(
        Section(
            "negotiations", 60, "reports/sections/negotiations.html",
            {"internal": nego.negotiations_internal},
        )
    )  # fmt: skip
