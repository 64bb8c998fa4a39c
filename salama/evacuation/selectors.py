"""Reads for the pages and the API: the queue, one request with its clearances and journey, the
movements, a manifest, the board's counts. E2 reads requests and movements through these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from salama.accounts.models import Organisation
from salama.evacuation.models import (
    ACTIVE_MOVEMENT,
    Clearance,
    ClearanceStep,
    JourneyState,
    JourneyStep,
    Movement,
    Outcome,
    Party,
    Request,
    Seat,
)
from salama.people.models import Person


def queue(org: Organisation | int, *, team_ids: list[int] | None = None) -> QuerySet[Request]:
    """Open requests by band, then score (higher first), then waiting (longer first); index
    evac_queue. The encrypted columns are left out: the queue never decrypts."""
    rows = (
        Request.objects.for_org(org)
        .filter(outcome="")
        .select_related("person")
        .defer("details", "override_reason")
        .order_by("band_rank", "-score", "requested_at", "pk")
    )
    if team_ids is not None:
        rows = rows.filter(person__team_id__in=team_ids)
    return rows


def request_of(org: Organisation | int, request_id: int) -> Request | None:
    return (
        Request.objects.for_org(org)
        .select_related("person", "keep_with")
        .filter(pk=request_id)
        .first()
    )


def open_request_for(person: Person) -> Request | None:
    return Request.objects.filter(person=person, outcome="").first()


def latest_request_for(person: Person) -> Request | None:
    return Request.objects.filter(person=person).order_by("-requested_at", "-pk").first()


@dataclass
class ClearanceRow:
    party: Party
    state: str
    label: str
    steps: list[ClearanceStep]


def clearances(request: Request) -> list[ClearanceRow]:
    """Each active party's state for `request` — "not submitted" where nothing was recorded:
    Salama never implies a clearance it has not recorded."""
    from salama.evacuation.models import ClearanceState

    labels = dict(ClearanceState.choices)
    found = {c.party_id: c for c in Clearance.objects.filter(request=request)}
    steps: dict[int, list[ClearanceStep]] = {}
    for step in (
        ClearanceStep.objects.filter(clearance__request=request)
        .select_related("clearance", "recorded_by__user")
        .order_by("at", "pk")
    ):
        steps.setdefault(step.clearance.party_id, []).append(step)
    rows = []
    for party in Party.objects.for_org(request.org_id).filter(is_active=True).order_by("name"):
        state = found[party.pk].state if party.pk in found else ClearanceState.NOT_SUBMITTED
        rows.append(ClearanceRow(party, state, str(labels[state]), steps.get(party.pk, [])))
    return rows


def journey(request: Request) -> list[JourneyStep]:
    return list(
        JourneyStep.objects.filter(request=request)
        .select_related("movement", "by__user", "by_person")
        .order_by("at", "pk")
    )


def movements(org: Organisation | int, *, active: bool | None = None) -> QuerySet[Movement]:
    rows = (
        Movement.objects.for_org(org)
        .select_related("assembly_area", "destination_area", "destination_facility", "focal_point")
        .annotate(
            on_board=Count("seats", filter=Q(seats__is_active=True)),
        )
        .order_by("-window_start", "-pk")
    )
    if active is True:
        rows = rows.filter(status__in=ACTIVE_MOVEMENT)
    return rows


def movement_of(org: Organisation | int, movement_id: int) -> Movement | None:
    return movements(org).filter(pk=movement_id).first()


def manifest(movement: Movement) -> list[Seat]:
    return list(
        Seat.objects.filter(movement=movement, is_active=True)
        .select_related("request__person", "vehicle")
        .defer("request__details", "request__override_reason")
        .order_by("vehicle__number", "first_seat")
    )


def timeline(movement: Movement) -> list[dict[str, Any]]:
    """Each evacuee on the movement (or who left it) and when they reached each step."""
    seats = list(
        Seat.objects.filter(movement=movement)
        .select_related("request__person", "vehicle")
        .defer("request__details", "request__override_reason")
        .order_by("vehicle__number", "first_seat")
    )
    steps: dict[int, dict[str, Any]] = {}
    for step in JourneyStep.objects.filter(movement=movement).order_by("at", "pk"):
        steps.setdefault(step.request_id, {})[step.to_state] = step.at
    order = [
        JourneyState.ASSIGNED,
        JourneyState.ASSEMBLED,
        JourneyState.DEPARTED,
        JourneyState.ARRIVED,
    ]
    return [
        {
            "seat": s,
            "request": s.request,
            "person": s.request.person,
            "steps": [
                (str(state.label), steps.get(s.request_id, {}).get(state)) for state in order
            ],
        }
        for s in seats
    ]


def counts(org: Organisation | int) -> dict[str, dict[str, int]]:
    """Open requests by band and by journey state, closed ones by outcome (the board)."""
    rows = Request.objects.for_org(org)
    bands = dict(
        rows.filter(outcome="").values_list("band").annotate(n=Count("pk")).values_list("band", "n")
    )
    states = dict(rows.values_list("journey").annotate(n=Count("pk")).values_list("journey", "n"))
    outcomes = dict(
        rows.exclude(outcome="")
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )
    return {
        "bands": {b: bands.get(b, 0) for b in ("urgent", "priority", "routine")},
        "journey": {s: states.get(s, 0) for s in JourneyState.values},
        "outcomes": {o: outcomes.get(o, 0) for o in Outcome.values},
    }


def _aboard(movement_ids: list[int]) -> dict[int, int]:
    """People aboard each movement: every active seat's evacuee and the dependants with them."""
    rows = (
        Seat.objects.filter(movement_id__in=movement_ids, is_active=True)
        .values("movement_id")
        .annotate(people=Count("pk") + Sum("travelling"))
        .values_list("movement_id", "people")
    )
    return {movement_id: int(people or 0) for movement_id, people in rows}


def active_flows(org: Organisation | int) -> list[dict[str, Any]]:
    """Movements in progress (not completed or cancelled) grouped by origin area (the assembly
    area), destination area (the destination facility's area when no area is set) and status:
    how many movements and how many people aboard. Ids and counts only: no person, codename,
    assembly point or route is read (the dashboard map, docs/reports.md)."""
    rows = list(
        Movement.objects.for_org(org)
        .filter(status__in=ACTIVE_MOVEMENT)
        .values("pk", "status", "assembly_area_id", "destination_area_id",
                "destination_facility__area_id")
    )  # fmt: skip
    aboard = _aboard([r["pk"] for r in rows])
    flows: dict[tuple[Any, Any, str], dict[str, Any]] = {}
    for r in rows:
        to = r["destination_area_id"] or r["destination_facility__area_id"]
        key = (r["assembly_area_id"], to, r["status"])
        flow = flows.setdefault(
            key, {"origin": key[0], "destination": to, "status": key[2], "movements": 0,
                  "people": 0}
        )  # fmt: skip
        flow["movements"] += 1
        flow["people"] += aboard.get(r["pk"], 0)
    return sorted(flows.values(), key=lambda f: (str(f["origin"]), str(f["destination"])))


def active_totals(org: Organisation | int) -> dict[str, Any]:
    """Movements in progress by status and the people aboard them, for the whole organisation:
    counts only, no place (what partners and observers see)."""
    ids_by_status = list(
        Movement.objects.for_org(org).filter(status__in=ACTIVE_MOVEMENT).values_list("pk", "status")
    )
    aboard = _aboard([pk for pk, _status in ids_by_status])
    by_status: dict[str, int] = {}
    for _pk, status in ids_by_status:
        by_status[status] = by_status.get(status, 0) + 1
    return {
        "movements": len(ids_by_status),
        "people": sum(aboard.values()),
        "by_status": by_status,
    }
