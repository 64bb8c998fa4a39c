"""The evacuation section: counts only, in every edition (docs/reports.md).

The queue by band, clearances by state, movements by status, arrivals and deaths while
waiting, each from `aggregate()`/`values()` over state columns: no request, person, party or
movement row is read. The lead edition counts its teams' requests only."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from salama.evacuation.models import (
    Band,
    Clearance,
    ClearanceState,
    JourneyState,
    Movement,
    MovementStatus,
    Outcome,
    Request,
)
from salama.reports.sections import Scope

CLEARANCE_STATES = (ClearanceState.PENDING, ClearanceState.APPROVED, ClearanceState.DENIED)


def _by(rows: QuerySet[Any], column: str, codes: Any) -> dict[str, int]:
    found = dict(rows.values_list(column).annotate(n=Count("pk")).values_list(column, "n"))
    return {str(code): int(found.get(code, 0)) for code in codes}


def _counts(scope: Scope, requests: QuerySet[Request], clearances: QuerySet[Clearance]) -> dict:
    data: dict[str, Any] = {
        "queue": _by(requests.filter(outcome=""), "band", Band.values),
        "clearances": _by(clearances, "state", [str(s) for s in CLEARANCE_STATES]),
        "movements": _by(Movement.objects.for_org(scope.org), "status", MovementStatus.values),
        "arrived": requests.filter(journey=JourneyState.ARRIVED).count(),
        "died_waiting": requests.filter(outcome=Outcome.DIED_WAITING).count(),
    }
    if not requests.exists() and not any(data["movements"].values()):
        return {}
    return data


def evacuation_internal(scope: Scope) -> dict[str, Any] | None:
    return (
        _counts(scope, Request.objects.for_org(scope.org), Clearance.objects.for_org(scope.org))
        or None
    )


def evacuation_lead(scope: Scope) -> dict[str, Any] | None:
    requests = Request.objects.for_org(scope.org).filter(person__team_id__in=scope.team_ids)
    clearances = Clearance.objects.for_org(scope.org).filter(
        request__person__team_id__in=scope.team_ids
    )
    return _counts(scope, requests, clearances) or None


def evacuation_figures(data: dict[str, Any]) -> dict[str, int]:
    return {"queue": sum(data["queue"].values()), "died_waiting": int(data["died_waiting"])}
