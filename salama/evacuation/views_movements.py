"""Movement pages: the list and a new movement, one movement (vehicles, the manifest built from
the queue, the status, the timeline of who reached each step, the arrival roll call), the
printable manifest, and the evacuee's own field page (no JavaScript needed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts import audit
from salama.accounts.access import ANY_MEMBER, COORDINATING, roles
from salama.evacuation import selectors, services
from salama.evacuation.forms import FieldRequestForm, MovementForm, VehicleForm
from salama.evacuation.models import (
    MOVEMENT_TRANSITIONS,
    Channel,
    JourneyState,
    Movement,
    MovementStatus,
    Request,
)
from salama.evacuation.views import flash_error, member_of, org_of
from salama.lib import clock
from salama.safety.views import linked_person, local_time

SHOWN_TO_EVACUEE = frozenset(
    {MovementStatus.NOTIFIED, MovementStatus.CONFIRMED, MovementStatus.UNDER_WAY}
)


def movement_or_404(request: HttpRequest, movement_id: int) -> Movement:
    movement = selectors.movement_of(org_of(request), movement_id)
    if movement is None:
        raise Http404
    return movement


def _plan(form: MovementForm) -> services.Plan:
    d = form.cleaned_data
    return services.Plan(
        kind=d["kind"],
        window_start=d["window_start"],
        window_end=d["window_end"],
        expected_arrival_at=d["expected_arrival_at"],
        assembly_area=d["assembly_area"],
        assembly_point=d["assembly_point"],
        destination_area=d["destination_area"],
        destination_facility=d["destination_facility"],
        route=[line.strip() for line in d["route"].splitlines() if line.strip()],
        focal_point=d["focal_point"],
        margin_minutes=d["margin_minutes"],
    )


@roles(*COORDINATING)
@local_time
def movement_list(request: HttpRequest) -> HttpResponse:
    form = MovementForm(request.POST or None, org=org_of(request))
    if request.method == "POST" and form.is_valid():
        try:
            movement = services.create_movement(
                org=org_of(request), plan=_plan(form), by=member_of(request), http=request
            )
        except services.EvacuationError as error:
            form.add_error(None, error)
        else:
            return redirect("evacuation:movement", movement_id=movement.pk)
    return render(
        request,
        "evacuation/movements.html",
        {"movements": selectors.movements(org_of(request)), "form": form},
        status=400 if form.errors else 200,
    )


@roles(*COORDINATING)
@local_time
def movement_detail(request: HttpRequest, movement_id: int) -> HttpResponse:
    movement = movement_or_404(request, movement_id)
    on_board = {s.request_id for s in selectors.manifest(movement)}
    candidates = [
        r
        for r in selectors.queue(org_of(request)).filter(
            journey=JourneyState.APPROVED, is_cleared=True
        )[:100]
        if r.pk not in on_board
    ]
    statuses = dict(MovementStatus.choices)
    return render(
        request,
        "evacuation/movement.html",
        {
            "movement": movement,
            "free": services.free_places(movement),
            "manifest": selectors.manifest(movement),
            "timeline": selectors.timeline(movement),
            "candidates": candidates,
            "vehicle_form": VehicleForm(),
            "moves": [
                (s, statuses[s])
                for s in MovementStatus.values
                if s in MOVEMENT_TRANSITIONS[movement.status]
            ],
            "route": services.route_of(movement),
            "plan_form": MovementForm(org=org_of(request), initial=_initial(movement)),
        },
    )


def _initial(movement: Movement) -> dict[str, Any]:
    return {
        "kind": movement.kind,
        "window_start": movement.window_start,
        "window_end": movement.window_end,
        "expected_arrival_at": movement.expected_arrival_at,
        "margin_minutes": movement.margin_minutes,
        "assembly_area": movement.assembly_area,
        "assembly_point": movement.assembly_point,
        "destination_area": movement.destination_area,
        "destination_facility": movement.destination_facility,
        "route": "\n".join(services.route_of(movement)),
        "focal_point": movement.focal_point.codename if movement.focal_point else "",
    }


@roles(*COORDINATING)
@require_POST
def movement_action(request: HttpRequest, movement_id: int, action: str) -> HttpResponse:
    movement = movement_or_404(request, movement_id)
    by, post = member_of(request), request.POST
    try:
        if action == "vehicle":
            form = VehicleForm(post)
            if not form.is_valid():
                raise services.EvacuationError(_("Give the vehicle's kind and seats."))
            services.add_vehicle(movement=movement, **form.cleaned_data)
        elif action == "assign":
            row = _request(request, post.get("request"))
            vehicle = movement.vehicles.filter(pk=post.get("vehicle") or 0).first()
            travelling = int(post["travelling"]) if post.get("travelling", "").isdigit() else None
            services.assign(
                request=row,
                movement=movement,
                by=by,
                vehicle=vehicle,
                travelling=travelling,
                split_chosen=post.get("split_chosen") == "on",
            )
        elif action == "fill":
            added, skipped = services.fill_from_queue(movement=movement, by=by)
            messages.info(
                request,
                _("%(added)d added, %(skipped)d left in the queue.")
                % {"added": len(added), "skipped": len(skipped)},
            )
        elif action == "remove":
            services.unassign(request=_request(request, post.get("request")), by=by)
        elif action == "step":
            services.move_evacuee(
                request=_request(request, post.get("request")), to=post.get("to", ""), by=by
            )
        elif action == "status":
            services.change_status(movement=movement, to=post.get("to", ""), by=by, http=request)
        elif action == "plan":
            form2 = MovementForm(post, org=org_of(request))
            if not form2.is_valid():
                raise services.EvacuationError(_("Please check the form."))
            services.change_plan(movement=movement, plan=_plan(form2), by=by, http=request)
        elif action == "rollcall":
            services.open_arrival_roll_call(movement=movement, by=by, http=request)
        else:
            raise services.EvacuationError(_("Unknown action."))
    except services.EvacuationError as error:
        flash_error(request, error)
    else:
        if action != "fill":
            messages.success(request, _("Saved."))
    return redirect("evacuation:movement", movement_id=movement.pk)


def _request(request: HttpRequest, value: Any) -> Request:
    row = selectors.request_of(org_of(request), int(value)) if str(value or "").isdigit() else None
    if row is None:
        raise services.EvacuationError(_("Unknown request."))
    return row


@roles(*COORDINATING)
@local_time
def manifest_print(request: HttpRequest, movement_id: int) -> HttpResponse:
    """The printable manifest: seat number and codename by default; real names only for the
    roles allowed (audited); the driver's copy has counts only. Watermarked with who printed it
    and when, and when to destroy it."""
    movement = movement_or_404(request, movement_id)
    language = (
        request.GET.get("lang")
        if request.GET.get("lang") in ("ar", "en")
        else request.LANGUAGE_CODE
    )
    driver = request.GET.get("copy") == "driver"
    names = request.GET.get("names") == "1" and not driver
    rows = selectors.manifest(movement)
    if names:
        from salama.people.models import Person

        real = dict(
            Person.objects.filter(pk__in=[s.request.person_id for s in rows]).values_list(
                "pk", "real_name"
            )
        )
        for seat in rows:
            seat.real_name = real.get(seat.request.person_id) or "—"  # type: ignore[attr-defined]
    audit.record(
        "evacuation.manifest_print",
        org_id=movement.org_id,
        obj=movement,
        request=request,
        detail={"names": names, "driver": driver, "language": language},
    )
    vehicles = [
        {
            "v": f.vehicle,
            "people": sum(1 + s.travelling for s in rows if s.vehicle_id == f.vehicle.pk),
            "stretchers": sum(s.stretchers for s in rows if s.vehicle_id == f.vehicle.pk),
        }
        for f in services.free_places(movement)
    ]
    with translation.override(language):
        return render(
            request,
            "evacuation/manifest_print.html",
            {
                "movement": movement,
                "rows": rows,
                "names": names,
                "driver": driver,
                "vehicles": vehicles,
                "printed_at": clock.now(),
                "printed_by": request.user.get_username(),
                "destroy_after": movement.window_end + timedelta(hours=24),
                "total": sum(v["people"] for v in vehicles),
                "print_lang": language,
            },
        )


@roles(*ANY_MEMBER)
@local_time
def field(request: HttpRequest) -> HttpResponse:
    """The evacuee's page after login: their request and journey, the assembly point and window
    only once the movement is notified, and the pre-departure checklist."""
    person = linked_person(request)
    form = FieldRequestForm(request.POST or None)
    if request.method == "POST" and person is not None and form.is_valid():
        d = form.cleaned_data
        deps = [services.Dependant() for _i in range(d["dependants"])]
        try:
            services.create_request(
                person=person,
                channel=Channel.FIELD,
                by=member_of(request),
                data=services.RequestInput(reason=d["reason"], needs=d["needs"], dependants=deps),
                request=request,
            )
        except services.EvacuationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your request was recorded. Your lead will contact you."))
            return redirect("evacuation:field")
    row = selectors.latest_request_for(person) if person is not None else None
    seat = services.seat_of(row) if row is not None else None
    shown = seat if seat is not None and seat.movement.status in SHOWN_TO_EVACUEE else None
    return render(
        request,
        "evacuation/field.html",
        {
            "person": person,
            "row": row,
            "seat": shown,
            "form": form,
            "open": row is not None and not row.outcome,
        },
        status=400 if form.errors else 200,
    )
