"""Movements: plan one, add vehicles, change its plan or status, mark evacuees assembled, record
arrivals, open the roll call at the destination. E2 builds notices to parties on movements:
read them through salama.evacuation.selectors, change them only through these functions.

A change of plan or status that affects the evacuees (postponed, cancelled, a new window or
assembly point) re-notifies everyone on the manifest in the same neutral words."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.evacuation import texts
from salama.evacuation.base import EvacuationError, margin_minutes
from salama.evacuation.journey import move_journey
from salama.evacuation.models import (
    MOVEMENT_TRANSITIONS,
    ON_MANIFEST,
    Channel,
    JourneyState,
    Movement,
    MovementKind,
    MovementStatus,
    Request,
    Seat,
    Vehicle,
    VehicleKind,
)
from salama.lib import clock
from salama.people.models import Area, Facility, Person


@dataclass
class Plan:
    kind: str
    window_start: datetime
    window_end: datetime
    expected_arrival_at: datetime
    assembly_area: Area | None = None
    assembly_point: str = ""
    destination_area: Area | None = None
    destination_facility: Facility | None = None
    route: list[str] = field(default_factory=list)  # areas or waypoints, in order
    focal_point: Person | None = None
    margin_minutes: int | None = None


def _check(org: Organisation, plan: Plan) -> None:
    if plan.kind not in MovementKind.values:
        raise EvacuationError(_("Choose a kind of movement from the list."))
    if plan.window_end <= plan.window_start:
        raise EvacuationError(_("The window must close after it opens."))
    if plan.expected_arrival_at < plan.window_start:
        raise EvacuationError(_("The expected arrival cannot be before the window opens."))
    if plan.destination_area is None and plan.destination_facility is None:
        raise EvacuationError(_("Give a destination: an area or a facility."))
    for thing in (
        plan.assembly_area,
        plan.destination_area,
        plan.destination_facility,
        plan.focal_point,
    ):
        if thing is not None and thing.org_id != org.pk:
            raise EvacuationError(_("Choose areas, facilities and people of your organisation."))


def _apply(movement: Movement, plan: Plan) -> None:
    movement.kind = plan.kind
    movement.window_start, movement.window_end = plan.window_start, plan.window_end
    movement.expected_arrival_at = plan.expected_arrival_at
    movement.assembly_area, movement.assembly_point = plan.assembly_area, plan.assembly_point[:500]
    movement.destination_area = plan.destination_area
    movement.destination_facility = plan.destination_facility
    movement.route = json.dumps(
        [str(r)[:120] for r in plan.route if str(r).strip()][:30], ensure_ascii=False
    )
    movement.focal_point = plan.focal_point
    if plan.margin_minutes is not None:
        movement.margin_minutes = max(0, min(plan.margin_minutes, 24 * 60))


def route_of(movement: Movement) -> list[str]:
    try:
        return [str(r) for r in json.loads(str(movement.route) or "[]")]
    except ValueError:
        return []


@transaction.atomic
def create_movement(
    *, org: Organisation, plan: Plan, by: Membership | None, http: HttpRequest | None = None
) -> Movement:
    _check(org, plan)
    movement = Movement(org=org, created_by=by, margin_minutes=margin_minutes(org))
    _apply(movement, plan)
    movement.save()
    audit.record(
        "evacuation.movement",
        org_id=org.pk,
        obj=movement,
        request=http,
        actor_id=by.user_id if by else None,
    )
    return movement


@transaction.atomic
def change_plan(
    *, movement: Movement, plan: Plan, by: Membership | None, http: HttpRequest | None = None
) -> Movement:
    """Change a movement's plan; everyone on its manifest is told to contact their lead."""
    _check(movement.org, plan)
    locked = Movement.objects.select_for_update().get(pk=movement.pk)
    if locked.status in (MovementStatus.COMPLETED, MovementStatus.CANCELLED):
        raise EvacuationError(_("This movement is over: its plan cannot change."))
    _apply(locked, plan)
    locked.save()
    _tell_all(locked, "journey_changed")
    audit.record(
        "evacuation.movement_plan",
        org_id=locked.org_id,
        obj=locked,
        request=http,
        actor_id=by.user_id if by else None,
    )
    return locked


def add_vehicle(
    *,
    movement: Movement,
    kind: str,
    seats: int,
    stretchers: int = 0,
    marking: str = "",
    driver: str = "",
    has_radio: bool = False,
) -> Vehicle:
    if kind not in VehicleKind.values:
        raise EvacuationError(_("Choose a kind of vehicle from the list."))
    if not 0 <= seats <= 200 or not 0 <= stretchers <= 50 or seats + stretchers == 0:
        raise EvacuationError(_("Give the seats (0 to 200) and stretcher places (0 to 50)."))
    driver = driver.strip().upper()[:20]
    if (
        driver
        and not Person.objects.for_org(movement.org_id).filter(codename__iexact=driver).exists()
    ):
        raise EvacuationError(_("Unknown codename: %(code)s.") % {"code": driver})
    number = Vehicle.objects.filter(movement=movement).count() + 1
    return Vehicle.objects.create(
        org_id=movement.org_id,
        movement=movement,
        number=number,
        kind=kind,
        seats=seats,
        stretchers=stretchers,
        marking=marking.strip()[:40],
        driver=driver,
        has_radio=has_radio,
    )


def _tell_all(movement: Movement, template: str) -> int:
    told = 0
    for seat in Seat.objects.filter(movement=movement, is_active=True).select_related(
        "request__person"
    ):
        told += texts.tell(
            seat.request.person,
            template,
            cause={"movement": movement.pk, "request": seat.request_id},
        )
    return told


def _label(status: str) -> str:
    return str(dict(MovementStatus.choices)[status])


@transaction.atomic
def change_status(
    *, movement: Movement, to: str, by: Membership | None, http: HttpRequest | None = None
) -> Movement:
    """Move a movement along planning → notified → confirmed → under way → completed (or
    postponed, cancelled). Under way: assembled evacuees depart, the rest are taken off.
    Cancelled: everyone is taken off. Postponed or cancelled: everyone is told."""
    ids = list(
        Seat.objects.filter(movement=movement, is_active=True).values_list("request_id", flat=True)
    )
    list(Request.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    locked = Movement.objects.select_for_update().get(pk=movement.pk)
    if to not in MovementStatus.values or to not in MOVEMENT_TRANSITIONS[locked.status]:
        legal = [
            _label(s) for s in MovementStatus.values if s in MOVEMENT_TRANSITIONS[locked.status]
        ]
        raise EvacuationError(
            _("A movement cannot go from %(from)s to %(to)s. It can go to: %(legal)s.")
            % {
                "from": _label(locked.status),
                "to": _label(to) if to in MovementStatus.values else to,
                "legal": ", ".join(legal) or "—",
            }
        )
    channel = Channel.API if http is not None and http.path.startswith("/api/") else Channel.PAGE
    seats = list(
        Seat.objects.filter(movement=locked, is_active=True).select_related("request__person")
    )
    now = clock.now()
    if to == MovementStatus.UNDER_WAY:
        if not any(s.request.journey == JourneyState.ASSEMBLED for s in seats):
            raise EvacuationError(_("Nobody is marked assembled yet: mark who is there first."))
        for seat in seats:
            if seat.request.journey == JourneyState.ASSEMBLED:
                move_journey(
                    request=seat.request,
                    to=JourneyState.DEPARTED,
                    channel=channel,
                    by=by,
                    movement=locked,
                )
            else:
                _take_off(seat, by, channel, locked)
    if to == MovementStatus.CANCELLED:
        for seat in seats:
            _take_off(seat, by, channel, locked)
    if to == MovementStatus.POSTPONED:
        _tell_all(locked, "journey_changed")
    locked.status, locked.status_at = to, now
    locked.save(update_fields=["status", "status_at"])
    audit.record(
        "evacuation.movement_status",
        org_id=locked.org_id,
        obj=locked,
        request=http,
        actor_id=by.user_id if by else None,
        detail={"status": to},
    )
    return locked


def _take_off(seat: Seat, by: Membership | None, channel: str, movement: Movement) -> None:
    Seat.objects.filter(pk=seat.pk).update(is_active=False, removed_at=clock.now())
    if seat.request.journey in ON_MANIFEST and JourneyState.APPROVED in _moves(
        seat.request.journey
    ):
        move_journey(
            request=seat.request,
            to=JourneyState.APPROVED,
            channel=channel,
            by=by,
            movement=movement,
        )
    texts.tell(
        seat.request.person,
        "journey_cancelled",
        cause={"movement": movement.pk, "request": seat.request_id},
    )


def _moves(state: str) -> frozenset[str]:
    from salama.evacuation.models import JOURNEY_TRANSITIONS

    return JOURNEY_TRANSITIONS[state]


def seat_of(request: Request) -> Seat | None:
    return Seat.objects.filter(request=request, is_active=True).select_related("movement").first()


@transaction.atomic
def move_evacuee(
    *,
    request: Request,
    to: str,
    by: Membership | None = None,
    by_person: Person | None = None,
    channel: str = Channel.PAGE,
) -> Any:
    """A journey step for one evacuee (the pages, the API, ``ARRIVED``): approve, assembled,
    arrived, turned back, missing, cancelled. The step records the manifest's movement. Leaving
    the manifest (back to approved, turned back, cancelled) frees the seat in the same
    transaction; being assigned happens only through the manifest (salama.evacuation.manifest)."""
    if to == JourneyState.ASSIGNED:
        raise EvacuationError(_("Put the evacuee on a movement's manifest to assign them."))
    locked = Request.objects.select_for_update().get(pk=request.pk)
    seat = Seat.objects.select_for_update().filter(request=locked, is_active=True).first()
    movement = seat.movement if seat is not None else None
    step = move_journey(
        request=request, to=to, channel=channel, by=by, by_person=by_person, movement=movement
    )
    leaves = to in (JourneyState.APPROVED, JourneyState.TURNED_BACK, JourneyState.CANCELLED)
    if seat is not None and leaves:
        Seat.objects.filter(pk=seat.pk).update(is_active=False, removed_at=clock.now())
    return step


def arrived_from(person: Person, *, channel: str = Channel.SMS) -> list[Request]:
    """An ``ARRIVED`` from `person`: their own journey if it is in transit; if they are the
    focal point of a movement under way, every evacuee of it in transit. [] when neither."""
    in_transit = (JourneyState.DEPARTED, JourneyState.MISSING)
    moved: list[Request] = []
    own = Request.objects.filter(person=person, outcome="", journey__in=in_transit).first()
    if own is not None:
        move_evacuee(request=own, to=JourneyState.ARRIVED, by_person=person, channel=channel)
        moved.append(own)
    led = Movement.objects.filter(focal_point=person, status=MovementStatus.UNDER_WAY)
    for seat in Seat.objects.filter(
        movement__in=led, is_active=True, request__journey__in=in_transit
    ).select_related("request"):
        move_evacuee(
            request=seat.request, to=JourneyState.ARRIVED, by_person=person, channel=channel
        )
        moved.append(seat.request)
    return moved


def arrived_on_roll_call(person: Person) -> Request | None:
    """`person` answered SAFE to the arrival roll call of the movement they are in transit on."""
    in_transit = (JourneyState.DEPARTED, JourneyState.MISSING)
    seat = (
        Seat.objects.filter(
            request__person=person,
            request__outcome="",
            is_active=True,
            request__journey__in=in_transit,
            movement__roll_call_id__isnull=False,
        )
        .select_related("request")
        .first()
    )
    if seat is None:
        return None
    move_evacuee(
        request=seat.request, to=JourneyState.ARRIVED, by_person=person, channel=Channel.SMS
    )
    return seat.request


def silent_deadline(movement: Movement) -> datetime:
    return movement.expected_arrival_at + timedelta(minutes=movement.margin_minutes)


def open_arrival_roll_call(
    *, movement: Movement, by: Membership | None, http: HttpRequest | None = None
) -> int:
    """A roll call at the destination for everyone on the movement, at once (salama.rollcalls).
    The question is neutral; the answers are check-ins like any other."""
    from salama.rollcalls.services import RollCallError, Target, open_roll_call

    persons = tuple(
        Seat.objects.filter(movement=movement, is_active=True).values_list(
            "request__person_id", flat=True
        )
    )
    if not persons:
        raise EvacuationError(_("Nobody is on this movement."))
    try:
        roll_call = open_roll_call(
            org=movement.org,
            question=str(_("Reply 1 if you are well.")),
            opened_by=by,
            target=Target(persons=persons),
            deadline_at=clock.now() + timedelta(hours=2),
            request=http,
        )
    except RollCallError as error:
        raise EvacuationError(" ".join(error.messages)) from error
    Movement.objects.filter(pk=movement.pk).update(roll_call_id=roll_call.pk)
    movement.roll_call_id = roll_call.pk
    return int(roll_call.pk)
