"""The manifest: putting approved, cleared requests on a movement's vehicles, and taking them
off. Every refusal says why and what would work; nothing is half-written.

Concurrency: the request's row is locked first (one person cannot be put on two movements at
once), then every vehicle of the movement, in id order (two coordinators filling the last seat
wait for each other; the second sees the seat taken). On PostgreSQL these are row locks
(SELECT ... FOR UPDATE); SQLite takes the database's write lock. The partial unique constraint
`evac_one_active_seat` stays as the last guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Sum
from django.utils.translation import gettext as _

from salama.accounts.models import Membership
from salama.evacuation import texts
from salama.evacuation.base import EvacuationError
from salama.evacuation.clearance import is_cleared
from salama.evacuation.journey import move_journey
from salama.evacuation.models import (
    ON_MANIFEST,
    Channel,
    Clearance,
    ClearanceState,
    JourneyState,
    JourneyStep,
    Movement,
    MovementStatus,
    Party,
    Request,
    Seat,
    Vehicle,
)
from salama.lib import clock

EDITABLE = frozenset(
    {
        MovementStatus.PLANNING,
        MovementStatus.NOTIFIED,
        MovementStatus.CONFIRMED,
        MovementStatus.POSTPONED,
    }
)


@dataclass(frozen=True)
class Free:
    vehicle: Vehicle
    seats: int
    stretchers: int


def free_places(movement: Movement, *, lock: bool = False) -> list[Free]:
    vehicles = Vehicle.objects.filter(movement=movement).order_by("pk")
    if lock:
        vehicles = vehicles.select_for_update()
    rows = list(vehicles)
    used = {
        v["vehicle"]: v
        for v in Seat.objects.filter(vehicle__in=rows, is_active=True)
        .values("vehicle")
        .annotate(s=Sum("seats"), t=Sum("stretchers"))
    }
    return [
        Free(
            v,
            v.seats - (used.get(v.pk, {}).get("s") or 0),
            v.stretchers - (used.get(v.pk, {}).get("t") or 0),
        )
        for v in sorted(rows, key=lambda v: v.number)
    ]


def needed(request: Request, travelling: int) -> tuple[int, int]:
    """(seated places, stretcher places) for the person and `travelling` dependants."""
    people = 1 + travelling
    stretchers = min(request.stretchers, people)
    return people - stretchers, stretchers


def _family_refusal(request: Request, movement: Movement) -> str | None:
    """A person this request must travel with (either way) who is on another active movement."""
    partners = Request.objects.filter(outcome="", org_id=request.org_id)
    linked = (
        partners.filter(person_id=request.keep_with_id) if request.keep_with_id else partners.none()
    )
    linked = linked | partners.filter(keep_with_id=request.person_id)
    seat = (
        Seat.objects.filter(request__in=linked, is_active=True)
        .exclude(movement=movement)
        .select_related("request__person", "movement")
        .first()
    )
    if seat is None:
        return None
    return _(
        "%(codename)s travels together with %(other)s, who is on movement %(movement)s: put "
        "them on %(movement)s too, or record that they choose to travel apart."
    ) % {
        "codename": request.person.codename,
        "other": seat.request.person.codename,
        "movement": seat.movement.code,
    }


@transaction.atomic
def assign(
    *,
    request: Request,
    movement: Movement,
    by: Membership | None,
    vehicle: Vehicle | None = None,
    travelling: int | None = None,
    split_chosen: bool = False,
    channel: str = Channel.PAGE,
) -> Seat:
    """Put `request` (the person and `travelling` dependants, all by default) on `movement`:
    on `vehicle`, or the first vehicle with room. The evacuee gets a neutral text."""
    req = Request.objects.select_for_update().select_related("person").get(pk=request.pk)
    code = req.person.codename
    mov = Movement.objects.select_for_update().get(pk=movement.pk)
    if mov.org_id != req.org_id:
        raise EvacuationError(_("Unknown movement."))
    if mov.status not in EDITABLE:
        raise EvacuationError(
            _("Movement %(movement)s is %(status)s: its manifest cannot change any more.")
            % {"movement": mov.code, "status": mov.get_status_display()}
        )
    if req.outcome:
        raise EvacuationError(_("%(codename)s's request is closed.") % {"codename": code})
    other = Seat.objects.filter(request=req, is_active=True).select_related("movement").first()
    if other is not None:
        raise EvacuationError(
            _(
                "%(codename)s is already on movement %(movement)s: take them off it first, or "
                "leave them there."
            )
            % {"codename": code, "movement": other.movement.code}
        )
    if req.journey != JourneyState.APPROVED:
        raise EvacuationError(
            _("%(codename)s's request is %(state)s, not approved: approve it first.")
            % {"codename": code, "state": req.get_journey_display()}
        )
    if not is_cleared(req):
        raise EvacuationError(
            _("%(codename)s is not cleared by every party: record each party's approval first.")
            % {"codename": code}
        )
    travelling = req.dependants if travelling is None else travelling
    if not 0 <= travelling <= req.dependants:
        raise EvacuationError(
            _("%(codename)s has %(n)d dependants: give a number from 0 to %(n)d.")
            % {"codename": code, "n": req.dependants}
        )
    if not split_chosen:
        if travelling < req.keep_together:
            raise EvacuationError(
                _(
                    "%(n)d of %(codename)s's dependants must travel with them: put the whole "
                    "family on, or record that the evacuee chooses to travel apart."
                )
                % {"n": req.keep_together, "codename": code}
            )
        family = _family_refusal(req, mov)
        if family:
            raise EvacuationError(family)
    seats, stretchers = needed(req, travelling)
    free = free_places(mov, lock=True)
    if vehicle is not None:
        free = [f for f in free if f.vehicle.pk == vehicle.pk]
        if not free:
            raise EvacuationError(_("That vehicle is not on this movement."))
    fits = [f for f in free if f.seats >= seats and f.stretchers >= stretchers]
    if not fits:
        raise EvacuationError(_overfill(code, seats, stretchers, mov, free_places(mov)))
    chosen = fits[0].vehicle
    last = Seat.objects.filter(vehicle=chosen, is_active=True).aggregate(m=Max("first_seat"))["m"]
    first = 1
    if last is not None:
        tail = Seat.objects.filter(vehicle=chosen, is_active=True, first_seat=last).first()
        first = last + (tail.seats + tail.stretchers if tail else 1)
    try:
        with transaction.atomic():
            seat = Seat.objects.create(
                org_id=req.org_id,
                movement=mov,
                vehicle=chosen,
                request=req,
                first_seat=first,
                seats=seats,
                stretchers=stretchers,
                travelling=travelling,
                split_chosen=split_chosen,
                added_by=by,
            )
    except IntegrityError:
        raise EvacuationError(
            _("%(codename)s was just put on another movement.") % {"codename": code}
        ) from None
    move_journey(request=req, to=JourneyState.ASSIGNED, channel=channel, by=by, movement=mov)
    texts.tell(req.person, "journey_assigned", cause={"movement": mov.pk, "request": req.pk})
    return seat


def _overfill(code: str, seats: int, stretchers: int, movement: Movement, free: list[Free]) -> str:
    room = "; ".join(
        _("vehicle %(n)d: %(s)d seats, %(t)d stretcher places free")
        % {"n": f.vehicle.number, "s": f.seats, "t": f.stretchers}
        for f in free
    ) or _("no vehicle yet")
    return _(
        "No room for %(codename)s: they need %(seats)d seats and %(stretchers)d stretcher places "
        "(%(room)s). Add a vehicle, choose another, or take someone off."
    ) % {"codename": code, "seats": seats, "stretchers": stretchers, "room": room}


@transaction.atomic
def unassign(
    *, request: Request, by: Membership | None, channel: str = Channel.PAGE, tell: bool = True
) -> None:
    """Take `request` off its movement: the journey goes back to approved, the evacuee is told
    in the same neutral words."""
    req = Request.objects.select_for_update().select_related("person").get(pk=request.pk)
    seat = Seat.objects.select_for_update().filter(request=req, is_active=True).first()
    if seat is None:
        raise EvacuationError(
            _("%(codename)s is on no movement.") % {"codename": req.person.codename}
        )
    mov = Movement.objects.select_for_update().get(pk=seat.movement_id)
    if mov.status not in EDITABLE:
        raise EvacuationError(
            _("Movement %(movement)s is %(status)s: its manifest cannot change any more.")
            % {"movement": mov.code, "status": mov.get_status_display()}
        )
    Seat.objects.filter(pk=seat.pk).update(is_active=False, removed_at=clock.now())
    if req.journey in ON_MANIFEST:
        move_journey(request=req, to=JourneyState.APPROVED, channel=channel, by=by, movement=mov)
    if tell:
        texts.tell(req.person, "journey_cancelled", cause={"movement": mov.pk, "request": req.pk})


@transaction.atomic
def assign_many(
    *,
    requests: list[Request],
    movement: Movement,
    by: Membership | None,
    channel: str = Channel.PAGE,
) -> tuple[list[Seat], list[tuple[Request, str]]]:
    """Put many requests on `movement` at once, in the order given, with every check of
    `assign` (the same refusals, same words) done in a few set-based statements: the requests'
    rows locked in one statement (id order), the movement and its vehicles once. A refused
    request is skipped with its reason; the rest are written together."""
    ids = sorted({r.pk for r in requests})
    locked = {
        r.pk: r
        for r in Request.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .select_related("person")
        .defer("details", "override_reason")
    }
    mov = Movement.objects.select_for_update().get(pk=movement.pk)
    if mov.status not in EDITABLE:
        raise EvacuationError(
            _("Movement %(movement)s is %(status)s: its manifest cannot change any more.")
            % {"movement": mov.code, "status": mov.get_status_display()}
        )
    elsewhere = dict(
        Seat.objects.filter(request_id__in=ids, is_active=True).values_list(
            "request_id", "movement_id"
        )
    )
    parties = list(
        Party.objects.for_org(mov.org_id).filter(is_active=True).values_list("pk", flat=True)
    )
    approvals = dict(
        Clearance.objects.filter(
            request_id__in=ids, party_id__in=parties, state=ClearanceState.APPROVED
        )
        .values_list("request_id")
        .annotate(n=Count("pk"))
        .values_list("request_id", "n")
    )
    linked = {r.keep_with_id for r in locked.values() if r.keep_with_id} | {
        r.person_id for r in locked.values()
    }
    partner_movement = dict(
        Seat.objects.filter(
            is_active=True, request__outcome="", request__person_id__in=linked
        ).values_list("request__person_id", "movement_id")
    )
    keepers = dict(
        Request.objects.filter(
            outcome="", keep_with_id__in=[r.person_id for r in locked.values()]
        ).values_list("keep_with_id", "person_id")
    )
    free: dict[int, list[Any]] = {
        f.vehicle.pk: [f.vehicle, f.seats, f.stretchers] for f in free_places(mov, lock=True)
    }
    next_seat = {
        v: (m or 0)
        for v, m in Seat.objects.filter(vehicle_id__in=free, is_active=True)
        .values_list("vehicle_id")
        .annotate(m=Max(F("first_seat") + F("seats") + F("stretchers")))
        .values_list("vehicle_id", "m")
    }
    seats: list[Seat] = []
    skipped: list[tuple[Request, str]] = []
    for given in requests:
        req = locked[given.pk]
        code = req.person.codename
        reason = ""
        if req.outcome:
            reason = _("%(codename)s's request is closed.") % {"codename": code}
        elif req.pk in elsewhere:
            reason = _("%(codename)s is already on a movement: take them off it first.") % {
                "codename": code
            }
        elif req.journey != JourneyState.APPROVED:
            reason = _("%(codename)s's request is %(state)s, not approved: approve it first.") % {
                "codename": code,
                "state": req.get_journey_display(),
            }
        elif approvals.get(req.pk, 0) != len(parties):
            reason = _(
                "%(codename)s is not cleared by every party: record each party's approval first."
            ) % {"codename": code}
        elif req.dependants < req.keep_together:
            reason = _("%(codename)s's family must travel together.") % {"codename": code}
        else:
            partners = {req.keep_with_id, keepers.get(req.person_id)} - {None}
            if any(partner_movement.get(p, mov.pk) != mov.pk for p in partners):
                reason = _(
                    "%(codename)s travels together with someone on another movement: put them "
                    "together, or record that they choose to travel apart."
                ) % {"codename": code}
        if not reason:
            need_s, need_t = needed(req, req.dependants)
            room = next((v for v in free.values() if v[1] >= need_s and v[2] >= need_t), None)
            if room is None:
                reason = _overfill(
                    code, need_s, need_t, mov, [Free(v[0], v[1], v[2]) for v in free.values()]
                )
            else:
                vehicle = room[0]
                room[1] -= need_s
                room[2] -= need_t
                first = next_seat.get(vehicle.pk, 0) + 1
                next_seat[vehicle.pk] = first - 1 + need_s + need_t
                seats.append(
                    Seat(
                        org_id=req.org_id,
                        movement=mov,
                        vehicle=vehicle,
                        request=req,
                        first_seat=first,
                        seats=need_s,
                        stretchers=need_t,
                        travelling=req.dependants,
                        added_by=by,
                    )
                )
                partner_movement[req.person_id] = mov.pk
                elsewhere[req.pk] = mov.pk
        if reason:
            skipped.append((req, reason))
    Seat.objects.bulk_create(seats)
    now = clock.now()
    JourneyStep.objects.bulk_create(
        JourneyStep(
            org_id=s.org_id,
            request_id=s.request_id,
            movement=mov,
            by=by,
            at=now,
            from_state=JourneyState.APPROVED,
            to_state=JourneyState.ASSIGNED,
            channel=channel,
        )
        for s in seats
    )
    Request.objects.filter(pk__in=[s.request_id for s in seats]).update(
        journey=JourneyState.ASSIGNED, journey_at=now
    )
    for seat in seats:
        seat.request.journey = JourneyState.ASSIGNED
    texts.tell_many(
        [s.request.person for s in seats], "journey_assigned", cause={"movement": mov.pk}
    )
    return seats, skipped


def fill_from_queue(
    *, movement: Movement, by: Membership | None, limit: int = 500
) -> tuple[list[Seat], list[tuple[Request, str]]]:
    """Put approved, cleared requests on `movement` in queue order while they fit; a request
    that is refused (its family elsewhere, no room) is skipped with the reason."""
    from salama.evacuation.selectors import queue

    candidates = list(
        queue(movement.org).filter(journey=JourneyState.APPROVED, is_cleared=True)[:limit]
    )
    return assign_many(requests=candidates, movement=movement, by=by)
