"""Evacuation over JSON: everything the pages do — the queue, requests (create, approve, band by
hand, outcome, clearance steps, journey steps), movements (create, vehicles, status, manifest
changes) — through the same services. Codenames only; never real names or the encrypted
details (medical needs are shown to coordinators on the request page)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation, Role
from salama.evacuation import priority, selectors, services
from salama.evacuation.models import Channel, Movement, Party, Request
from salama.lib import clock
from salama.lib.apiaccess import api_roles, pages
from salama.lib.problems import errors
from salama.people.models import Area, Facility, Person
from salama.safety.proxy import lead_teams
from salama.safety.tokens import gated

router = Router(tags=["evacuation"])
READERS = (*COORDINATING, Role.FIELD_LEAD)


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _teams(request: HttpRequest) -> list[int] | None:
    if _member(request).role in COORDINATING:
        return None
    person = Person.objects.for_org(_org(request)).filter(membership=_member(request)).first()
    return lead_teams(person) if person is not None else []


def _refused(error: services.EvacuationError) -> HttpError:
    return HttpError(422, " ".join(error.messages))


class RequestOut(Schema):
    id: int
    codename: str
    person_id: int
    reason: str
    seat_kind: str
    dependants: int
    seats: int
    stretchers: int
    band: str
    score: int
    explanation: list[str]
    requested_at: datetime
    days_waiting: int
    is_cleared: bool
    journey: str
    outcome: str


class DependantIn(Schema):
    relation: str = "other"
    age_band: str = "unknown"
    needs: list[str] = []
    keep_together: bool = True


class RequestIn(Schema):
    person_id: int
    reason: str
    seat_kind: str = "seated"
    needs: list[str] = []
    dependants: list[DependantIn] = Field(default=[], max_length=30)
    keep_with: str = ""  # a codename
    note: str = Field("", max_length=2000)


class ClearanceIn(Schema):
    party_id: int = 0
    state: str = ""
    at: datetime | None = None
    note: str = Field("", max_length=2000)


class ClearanceOut(Schema):
    party_id: int
    party: str
    state: str


class OverrideIn(Schema):  # both required: an override always says what and why
    band: str
    reason: str = Field(..., max_length=500)


class OutcomeIn(Schema):
    outcome: str = ""


class StepIn(Schema):
    to: str = ""


class QueueQuery(Schema):
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(100, ge=1, le=1000)


def _request_out(r: Request) -> dict[str, Any]:
    return {
        "id": r.pk,
        "codename": r.person.codename,
        "person_id": r.person_id,
        "reason": r.reason,
        "seat_kind": r.seat_kind,
        "dependants": r.dependants,
        "seats": r.seats,
        "stretchers": r.stretchers,
        "band": r.band,
        "score": r.score,
        "explanation": priority.explain(r.explanation),
        "requested_at": r.requested_at,
        "days_waiting": (clock.now() - r.requested_at).days,
        "is_cleared": r.is_cleared,
        "journey": r.journey,
        "outcome": r.outcome,
    }


def _get(request: HttpRequest, request_id: int, missing: int = 404) -> Request:
    """The request in the path (404), or named in a body (`missing` 422)."""
    row = selectors.request_of(_org(request), request_id)
    teams = _teams(request)
    if row is None or (teams is not None and row.person.team_id not in teams):
        raise HttpError(missing, _("Unknown request."))
    return row


@router.get("/evacuation/queue", response=list[RequestOut])
@api_roles(*READERS)
def get_queue(request: HttpRequest, query: Query[QueueQuery]) -> list[dict[str, Any]]:
    """Open requests by band, then score, then waiting time (a lead: their teams only)."""
    rows = selectors.queue(_org(request), team_ids=_teams(request))
    return [_request_out(r) for r in rows[query.offset : query.offset + query.limit]]


# 404: the person named in the body is not one the caller may file for.
@router.post(
    "/evacuation/requests",
    response={201: RequestOut, **errors(404)},
    auth=gated(*READERS),
    openapi_extra=pages("evacuation:request_new"),
)
@api_roles(*READERS)
def create_request(request: HttpRequest, payload: RequestIn) -> Answer:
    person = Person.objects.for_org(_org(request)).filter(pk=payload.person_id).first()
    teams = _teams(request)
    if person is None or (teams is not None and person.team_id not in teams):
        raise HttpError(404, _("Unknown person."))
    keep_with = _keep_with(request, payload.keep_with)
    data = services.RequestInput(
        reason=payload.reason,
        seat_kind=payload.seat_kind,
        needs=payload.needs,
        note=payload.note,
        keep_with=keep_with,
        dependants=[services.Dependant(**d.model_dump()) for d in payload.dependants],
    )
    try:
        row = services.create_request(
            person=person, data=data, channel=Channel.API, by=_member(request), request=request
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return Answer(201, _request_out(row))


def _keep_with(request: HttpRequest, code: str) -> Person | None:
    if not code:
        return None
    person = Person.objects.for_org(_org(request)).filter(codename__iexact=code).first()
    if person is None:
        raise HttpError(422, _("Unknown codename: %(code)s.") % {"code": code[:20]})
    return person


@router.get("/evacuation/requests/{request_id}", response=RequestOut)
@api_roles(*READERS)
def get_request(request: HttpRequest, request_id: int) -> dict[str, Any]:
    """One request (a lead: of the teams they lead; another team's is not found)."""
    return _request_out(_get(request, request_id))


class CompleteIn(Schema):
    reason: str
    seat_kind: str = "seated"
    needs: list[str] = []
    dependants: list[DependantIn] = Field(default=[], max_length=30)
    keep_with: str = ""  # a codename


@router.post(
    "/evacuation/requests/{request_id}/complete",
    response={200: RequestOut, **errors(404, 422)},
    auth=gated(*READERS),
    openapi_extra=pages("evacuation:request_complete"),
)
@api_roles(*READERS)
def complete_request(request: HttpRequest, request_id: int, payload: CompleteIn) -> dict[str, Any]:
    """Complete a texted request (reason "not_stated"): the reason, seat kind, medical needs and
    the household, which replaces the rows the text made. The person's lead or a coordinator."""
    row = _get(request, request_id)
    keep_with = _keep_with(request, payload.keep_with)
    data = services.RequestInput(
        reason=payload.reason,
        seat_kind=payload.seat_kind,
        needs=payload.needs,
        keep_with=keep_with,
        dependants=[services.Dependant(**d.model_dump()) for d in payload.dependants],
    )
    try:
        services.complete_request(request=row, data=data, by=_member(request), http=request)
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _request_out(_get(request, request_id))


@router.get("/evacuation/requests/{request_id}/clearances", response=list[ClearanceOut])
@api_roles(*COORDINATING)
def get_clearances(request: HttpRequest, request_id: int) -> list[dict[str, Any]]:
    """Every active party's state; "not_submitted" where nothing was recorded."""
    return [
        {"party_id": c.party.pk, "party": c.party.name, "state": c.state}
        for c in selectors.clearances(_get(request, request_id))
    ]


@router.post(
    "/evacuation/requests/{request_id}/clearances",
    response=RequestOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:request_action"),
)
@api_roles(*COORDINATING)
def record_clearance(request: HttpRequest, request_id: int, payload: ClearanceIn) -> dict[str, Any]:
    row = _get(request, request_id)
    party = Party.objects.for_org(_org(request)).filter(pk=payload.party_id).first()
    if party is None:
        raise HttpError(422, _("Unknown party."))
    try:
        services.record_clearance(
            request=row,
            party=party,
            state=payload.state,
            by=_member(request),
            at=payload.at,
            note=payload.note,
            http=request,
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _request_out(_get(request, request_id))


@router.post(
    "/evacuation/requests/{request_id}/approve",
    response=RequestOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:request_action"),
)
@api_roles(*COORDINATING)
def approve(request: HttpRequest, request_id: int) -> dict[str, Any]:
    try:
        services.approve_request(
            request=_get(request, request_id), by=_member(request), http=request
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _request_out(_get(request, request_id))


@router.post(
    "/evacuation/requests/{request_id}/override",
    response=RequestOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:request_action"),
)
@api_roles(*COORDINATING)
def override(request: HttpRequest, request_id: int, payload: OverrideIn) -> dict[str, Any]:
    try:
        services.override_band(
            request=_get(request, request_id),
            band=payload.band,
            reason=payload.reason,
            by=_member(request),
            http=request,
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _request_out(_get(request, request_id))


@router.post(
    "/evacuation/requests/{request_id}/outcome",
    response=RequestOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:request_action"),
)
@api_roles(*COORDINATING)
def outcome(request: HttpRequest, request_id: int, payload: OutcomeIn) -> dict[str, Any]:
    try:
        services.record_outcome(
            request=_get(request, request_id),
            outcome=payload.outcome,
            by=_member(request),
            http=request,
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _request_out(_get(request, request_id))


@router.post(
    "/evacuation/requests/{request_id}/journey",
    response=RequestOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:request_action", "evacuation:movement_action"),
)
@api_roles(*COORDINATING)
def journey_step(request: HttpRequest, request_id: int, payload: StepIn) -> dict[str, Any]:
    """Move the journey; a move that is not legal is 422 naming the legal ones."""
    try:
        services.move_evacuee(
            request=_get(request, request_id),
            to=payload.to,
            by=_member(request),
            channel=Channel.API,
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _request_out(_get(request, request_id))


# --- Movements --------------------------------------------------------------------------------


class VehicleIn(Schema):
    kind: str = ""
    seats: int = Field(0, ge=0, le=200)
    stretchers: int = Field(0, ge=0, le=50)
    marking: str = Field("", max_length=40)
    driver: str = Field("", max_length=20)
    has_radio: bool = False


class VehicleOut(Schema):
    id: int
    number: int
    kind: str
    seats: int
    stretchers: int
    seats_free: int
    stretchers_free: int
    driver: str
    has_radio: bool


class SeatOut(Schema):
    request_id: int
    codename: str
    vehicle: int
    first_seat: int
    seats: int
    stretchers: int
    travelling: int
    split_chosen: bool
    journey: str


class MovementIn(Schema):
    kind: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    expected_arrival_at: datetime | None = None
    margin_minutes: int | None = Field(None, ge=0, le=1440)
    assembly_area_id: int | None = None
    assembly_point: str = Field("", max_length=500)
    destination_area_id: int | None = None
    destination_facility_id: int | None = None
    route: list[str] = Field(default=[], max_length=30)
    focal_point: str = ""  # a codename


class MovementOut(Schema):
    id: int
    code: str
    kind: str
    status: str
    window_start: datetime
    window_end: datetime
    expected_arrival_at: datetime
    margin_minutes: int
    assembly_area_id: int | None
    destination_area_id: int | None
    destination_facility_id: int | None
    focal_point: str
    vehicles: list[VehicleOut]
    manifest: list[SeatOut]


class AssignIn(Schema):
    request_id: int = 0
    vehicle_id: int | None = None
    travelling: int | None = None
    split_chosen: bool = False


class StatusIn(Schema):
    to: str = ""


def _movement(request: HttpRequest, movement_id: int) -> Movement:
    movement = selectors.movement_of(_org(request), movement_id)
    if movement is None:
        raise HttpError(404, _("Unknown movement."))
    return movement


def _movement_out(m: Movement) -> dict[str, Any]:
    vehicles = [
        {
            "id": f.vehicle.pk,
            "number": f.vehicle.number,
            "kind": f.vehicle.kind,
            "seats": f.vehicle.seats,
            "stretchers": f.vehicle.stretchers,
            "seats_free": f.seats,
            "stretchers_free": f.stretchers,
            "driver": f.vehicle.driver,
            "has_radio": f.vehicle.has_radio,
        }
        for f in services.free_places(m)
    ]
    manifest = [
        {
            "request_id": s.request_id,
            "codename": s.request.person.codename,
            "vehicle": s.vehicle.number,
            "first_seat": s.first_seat,
            "seats": s.seats,
            "stretchers": s.stretchers,
            "travelling": s.travelling,
            "split_chosen": s.split_chosen,
            "journey": s.request.journey,
        }
        for s in selectors.manifest(m)
    ]
    return {
        "id": m.pk,
        "code": m.code,
        "kind": m.kind,
        "status": m.status,
        "window_start": m.window_start,
        "window_end": m.window_end,
        "expected_arrival_at": m.expected_arrival_at,
        "margin_minutes": m.margin_minutes,
        "assembly_area_id": m.assembly_area_id,
        "destination_area_id": m.destination_area_id,
        "destination_facility_id": m.destination_facility_id,
        "focal_point": m.focal_point.codename if m.focal_point else "",
        "vehicles": vehicles,
        "manifest": manifest,
    }


def _plan(request: HttpRequest, p: MovementIn) -> services.Plan:
    org = _org(request)

    def one(model: Any, pk: int | None) -> Any:
        if pk is None:
            return None
        found = model.objects.for_org(org).filter(pk=pk).first()
        if found is None:
            raise HttpError(422, _("Choose areas, facilities and people of your organisation."))
        return found

    if p.window_start is None or p.window_end is None or p.expected_arrival_at is None:
        raise HttpError(422, _("Give the window and the expected arrival."))
    focal = None
    if p.focal_point:
        focal = Person.objects.for_org(org).filter(codename__iexact=p.focal_point).first()
        if focal is None:
            raise HttpError(422, _("Unknown codename: %(code)s.") % {"code": p.focal_point[:20]})
    return services.Plan(
        kind=p.kind,
        window_start=p.window_start,
        window_end=p.window_end,
        expected_arrival_at=p.expected_arrival_at,
        assembly_area=one(Area, p.assembly_area_id),
        assembly_point=p.assembly_point,
        destination_area=one(Area, p.destination_area_id),
        destination_facility=one(Facility, p.destination_facility_id),
        route=p.route,
        focal_point=focal,
        margin_minutes=p.margin_minutes,
    )


@router.get("/evacuation/movements", response=list[MovementOut])
@api_roles(*COORDINATING)
def list_movements(request: HttpRequest) -> list[dict[str, Any]]:
    return [_movement_out(m) for m in selectors.movements(_org(request))[:200]]


@router.post(
    "/evacuation/movements",
    response={201: MovementOut},
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:movements"),
)
@api_roles(*COORDINATING)
def create_movement(request: HttpRequest, payload: MovementIn) -> Answer:
    try:
        movement = services.create_movement(
            org=_org(request), plan=_plan(request, payload), by=_member(request), http=request
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return Answer(201, _movement_out(_movement(request, movement.pk)))


@router.get("/evacuation/movements/{movement_id}", response=MovementOut)
@api_roles(*COORDINATING)
def get_movement(request: HttpRequest, movement_id: int) -> dict[str, Any]:
    return _movement_out(_movement(request, movement_id))


@router.put(
    "/evacuation/movements/{movement_id}",
    response=MovementOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:movement_action"),
)
@api_roles(*COORDINATING)
def change_plan(request: HttpRequest, movement_id: int, payload: MovementIn) -> dict[str, Any]:
    """Change the plan; everyone on the manifest is told, neutrally, to contact their lead."""
    try:
        services.change_plan(
            movement=_movement(request, movement_id),
            plan=_plan(request, payload),
            by=_member(request),
            http=request,
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _movement_out(_movement(request, movement_id))


@router.post(
    "/evacuation/movements/{movement_id}/vehicles",
    response={201: MovementOut},
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:movement_action"),
)
@api_roles(*COORDINATING)
def add_vehicle(request: HttpRequest, movement_id: int, payload: VehicleIn) -> Answer:
    movement = _movement(request, movement_id)
    try:
        services.add_vehicle(movement=movement, **payload.model_dump())
    except services.EvacuationError as error:
        raise _refused(error) from error
    return Answer(201, _movement_out(movement))


@router.post(
    "/evacuation/movements/{movement_id}/manifest",
    response=MovementOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:movement_action"),
)
@api_roles(*COORDINATING)
def assign(request: HttpRequest, movement_id: int, payload: AssignIn) -> dict[str, Any]:
    """Put a request on the manifest. Refused (422, with what would work): no room, the person
    on another active movement, a family split without the evacuee's recorded choice."""
    movement = _movement(request, movement_id)
    row = _get(request, payload.request_id, missing=422)
    vehicle = (
        movement.vehicles.filter(pk=payload.vehicle_id).first() if payload.vehicle_id else None
    )
    if payload.vehicle_id and vehicle is None:
        raise HttpError(422, _("That vehicle is not on this movement."))
    try:
        services.assign(
            request=row,
            movement=movement,
            by=_member(request),
            vehicle=vehicle,
            travelling=payload.travelling,
            split_chosen=payload.split_chosen,
            channel=Channel.API,
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _movement_out(movement)


@router.delete(
    "/evacuation/movements/{movement_id}/manifest/{request_id}",
    response=MovementOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:movement_action"),
)
@api_roles(*COORDINATING)
def unassign(request: HttpRequest, movement_id: int, request_id: int) -> dict[str, Any]:
    movement = _movement(request, movement_id)
    row = _get(request, request_id)
    seat = services.seat_of(row)
    if seat is None or seat.movement_id != movement.pk:
        raise HttpError(422, _("Not on this movement."))
    try:
        services.unassign(request=row, by=_member(request), channel=Channel.API)
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _movement_out(movement)


@router.post(
    "/evacuation/movements/{movement_id}/status",
    response=MovementOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:movement_action"),
)
@api_roles(*COORDINATING)
def change_status(request: HttpRequest, movement_id: int, payload: StatusIn) -> dict[str, Any]:
    try:
        services.change_status(
            movement=_movement(request, movement_id),
            to=payload.to,
            by=_member(request),
            http=request,
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return _movement_out(_movement(request, movement_id))


class FillOut(Schema):
    movement: MovementOut
    skipped: dict[str, str]


@router.post(
    "/evacuation/movements/{movement_id}/fill",
    response=FillOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:movement_action"),
)
@api_roles(*COORDINATING)
def fill(request: HttpRequest, movement_id: int) -> dict[str, Any]:
    """Put approved, cleared requests on the movement in queue order while they fit; the ones
    left are listed by codename with the reason."""
    movement = _movement(request, movement_id)
    try:
        _added, skipped = services.fill_from_queue(movement=movement, by=_member(request))
    except services.EvacuationError as error:
        raise _refused(error) from error
    return {
        "movement": _movement_out(movement),
        "skipped": {r.person.codename: why for r, why in skipped},
    }


class ArrivalRollCallOut(Schema):
    roll_call: int


@router.post(
    "/evacuation/movements/{movement_id}/rollcall",
    response=ArrivalRollCallOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:movement_action"),
)
@api_roles(*COORDINATING)
def arrival_roll_call(request: HttpRequest, movement_id: int) -> dict[str, Any]:
    """Open the roll call at the destination for everyone on the movement."""
    try:
        number = services.open_arrival_roll_call(
            movement=_movement(request, movement_id), by=_member(request), http=request
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return {"roll_call": number}


class ClearingPartyIn(Schema):
    name: str = Field("", max_length=80)
    name_ar: str = Field("", max_length=80)
    is_active: bool = True


class ClearingPartyOut(Schema):
    id: int
    name: str
    name_ar: str
    is_active: bool


@router.get("/evacuation/parties", response=list[ClearingPartyOut])
@api_roles(*COORDINATING)
def list_parties(request: HttpRequest) -> list[Party]:
    return list(Party.objects.for_org(_org(request)).order_by("name"))


@router.post(
    "/evacuation/parties",
    response={201: ClearingPartyOut},
    auth=gated(*COORDINATING),
    openapi_extra=pages("evacuation:request_action"),
)
@api_roles(*COORDINATING)
def save_party(request: HttpRequest, payload: ClearingPartyIn) -> Answer:
    """Add a party that must clear evacuees (or change one by its name)."""
    try:
        party = services.save_party(
            org=_org(request),
            name=payload.name,
            name_ar=payload.name_ar,
            is_active=payload.is_active,
        )
    except services.EvacuationError as error:
        raise _refused(error) from error
    return Answer(201, party)
