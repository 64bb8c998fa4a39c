"""Evacuation pages: the priority queue, a new request, one request (clearance, approval, the
band by hand, the outcome, the journey). Every page calls the selectors and services; none
holds a rule. Leads see and file requests for their own teams; coordinators everything."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, has_role, roles
from salama.accounts.models import Membership, Organisation, Role
from salama.evacuation import priority, selectors, services
from salama.evacuation.forms import (
    ClearanceForm,
    CompleteForm,
    OutcomeForm,
    OverrideForm,
    PartyForm,
    RequestForm,
)
from salama.evacuation.models import Band, Channel, JourneyState, Reason, Request
from salama.lib import clock
from salama.people.models import Person
from salama.safety.proxy import lead_teams
from salama.safety.views import linked_person, local_time

READERS = (*COORDINATING, Role.FIELD_LEAD)
QUEUE_ROWS = 100


def org_of(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def member_of(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def team_scope(request: HttpRequest) -> list[int] | None:
    """None: every team (a coordinator); else the lead's teams."""
    if has_role(request, *COORDINATING):
        return None
    person = linked_person(request)
    return lead_teams(person) if person is not None else []


def people_for(request: HttpRequest) -> QuerySet[Person]:
    people = Person.objects.for_org(org_of(request)).filter(is_active=True).order_by("codename")
    teams = team_scope(request)
    return people if teams is None else people.filter(team_id__in=teams)


def request_or_404(request: HttpRequest, request_id: int) -> Request:
    row = selectors.request_of(org_of(request), request_id)
    teams = team_scope(request)
    if row is None or (teams is not None and row.person.team_id not in teams):
        raise Http404
    return row


def flash_error(request: HttpRequest, error: services.EvacuationError) -> None:
    messages.error(request, " ".join(error.messages))


@roles(*READERS)
@local_time
def queue(request: HttpRequest) -> HttpResponse:
    """The queue's first QUEUE_ROWS rows. Labels are translated once per page, not per row:
    the page stays fast with ten thousand open requests (bench/evacuation.py)."""
    rows = selectors.queue(org_of(request), team_ids=team_scope(request))
    now = clock.now()
    bands, journeys = dict(Band.choices), dict(JourneyState.choices)
    shown = [
        {
            "r": r,
            "why": ", ".join(priority.explain(r.explanation)),
            "days": (now - r.requested_at).days,
            "band": bands[r.band],
            "journey": journeys[r.journey],
        }
        for r in rows[:QUEUE_ROWS]
    ]
    labels = {
        "codename": _("Codename"),
        "band": _("Band"),
        "score": _("Score"),
        "why": _("Why"),
        "waiting": _("Waiting"),
        "people": _("People"),
        "cleared": _("Cleared"),
        "journey": _("Journey"),
        "days": _("days"),
    }
    return render(
        request,
        "evacuation/queue.html",
        {
            "rows": shown,
            "total": rows.count(),
            "L": labels,
        },
    )


@roles(*READERS)
def request_new(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST or None, people=people_for(request), org=org_of(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        deps = [
            services.Dependant(
                relation=d["relation"],
                age_band=d["age_band"],
                needs=d["needs"],
                keep_together=d["keep_together"],
            )
            for d in form.dependants()
        ]
        try:
            row = services.create_request(
                person=data["person"],
                channel=Channel.PAGE,
                by=member_of(request),
                request=request,
                data=services.RequestInput(
                    reason=data["reason"],
                    seat_kind=data["seat_kind"],
                    needs=data["needs"],
                    dependants=deps,
                    keep_with=data["keep_with"],
                    note=data["note"],
                ),
            )
        except services.EvacuationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The request was recorded."))
            return redirect("evacuation:request", request_id=row.pk)
    return render(
        request, "evacuation/request_new.html", {"form": form}, status=400 if form.errors else 200
    )


@roles(*READERS)
@local_time
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """One request. A coordinator: everything and the decisions. A field lead: only requests of
    people in the teams they lead (another team's is not found), with the coded medical needs
    and household rows (what the lead may file on the new request page) but no decisions, no
    note and no real name (docs/evacuation.md, "Who sees a request")."""
    row = request_or_404(request, request_id)
    coordinator = has_role(request, *COORDINATING)
    details = services.details_of(row)
    context: dict[str, Any] = {
        "row": row,
        "why": priority.explain(row.explanation),
        "clearances": selectors.clearances(row),
        "steps": selectors.journey(row),
        "seat": services.seat_of(row),
        "is_coordinator": coordinator,
        "days": (clock.now() - row.requested_at).days,
        "needs_labels": _labels(details),
        "to_complete": row.reason == Reason.NOT_STATED and not row.outcome,
    }
    if coordinator:
        context.update(
            clearance_form=ClearanceForm(org=org_of(request)),
            override_form=OverrideForm(initial={"band": row.override_band}),
            outcome_form=OutcomeForm(),
            party_form=PartyForm(),
            moves=[
                (s, JourneyState(s).label)
                for s in services.legal_moves(row.journey)
                if s not in (JourneyState.ASSIGNED,)
            ],
        )
    return render(request, "evacuation/request.html", context)


@roles(*READERS)
@local_time
def request_complete(request: HttpRequest, request_id: int) -> HttpResponse:
    """Complete a texted request (reason "not stated yet"): the person's lead or a coordinator
    gives the reason, the seat kind, the medical needs and the household (services.
    complete_request, as POST /api/evacuation/requests/{id}/complete)."""
    row = request_or_404(request, request_id)
    if row.reason != Reason.NOT_STATED or row.outcome:
        messages.info(request, _("This request was completed already."))
        return redirect("evacuation:request", request_id=row.pk)
    household = services.details_of(row)["dependants"]
    form = CompleteForm(request.POST or None, org=org_of(request), household=household)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.complete_request(
                request=row,
                by=member_of(request),
                http=request,
                data=services.RequestInput(
                    reason=data["reason"],
                    seat_kind=data["seat_kind"],
                    needs=data["needs"],
                    keep_with=data["keep_with"],
                    dependants=[services.Dependant(**d) for d in form.household()],
                ),
            )
        except services.EvacuationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The request was completed."))
            return redirect("evacuation:request", request_id=row.pk)
    return render(
        request,
        "evacuation/request_complete.html",
        {"form": form, "row": row, "texted": len(household)},
        status=400 if form.errors else 200,
    )


def _labels(details: dict[str, Any]) -> dict[str, Any]:
    from salama.evacuation.models import AgeBand, Need, Relation

    needs, relations, ages = dict(Need.choices), dict(Relation.choices), dict(AgeBand.choices)
    return {
        "needs": [needs.get(n, n) for n in details["needs"]],
        "dependants": [
            {
                "relation": relations.get(d.get("relation"), "?"),
                "age": ages.get(d.get("age_band"), "?"),
                "needs": [needs.get(n, n) for n in d.get("needs", [])],
                "together": d.get("keep_together", True),
            }
            for d in details["dependants"]
        ],
    }


@roles(*COORDINATING)
@require_POST
def request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    row = request_or_404(request, request_id)
    by = member_of(request)
    try:
        if action == "approve":
            services.approve_request(request=row, by=by, http=request)
        elif action == "clearance":
            form = ClearanceForm(request.POST, org=org_of(request))
            if not form.is_valid():
                raise services.EvacuationError(_("Choose a party and a state."))
            d = form.cleaned_data
            services.record_clearance(
                request=row,
                party=d["party"],
                state=d["state"],
                by=by,
                at=d["at"],
                note=d["note"],
                http=request,
            )
        elif action == "override":
            form2 = OverrideForm(request.POST)
            form2.is_valid()
            services.override_band(
                request=row,
                band=form2.cleaned_data.get("band", ""),
                reason=form2.cleaned_data.get("reason", ""),
                by=by,
                http=request,
            )
        elif action == "outcome":
            services.record_outcome(
                request=row, outcome=request.POST.get("outcome", ""), by=by, http=request
            )
        elif action == "journey":
            services.move_evacuee(request=row, to=request.POST.get("to", ""), by=by)
        elif action == "party":
            services.save_party(
                org=org_of(request),
                name=request.POST.get("name", ""),
                name_ar=request.POST.get("name_ar", ""),
            )
        else:
            raise services.EvacuationError(_("Unknown action."))
    except services.EvacuationError as error:
        flash_error(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect("evacuation:request", request_id=row.pk)


def may_see_names(request: HttpRequest) -> bool:
    return has_role(request, *COORDINATING)


def require_coordinator(request: HttpRequest) -> None:
    if not has_role(request, *COORDINATING):
        raise PermissionDenied
