"""Decisions about people, closing events and heightened mode over JSON — the same services as
the person page and the events page (salama/safety/decisions.py, events.py, deadlines.py). A
decision's source and reason are stored encrypted and never returned."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.lib.apiaccess import api_roles, located, member_of, org_of, pages
from salama.lib.problems import Conflict, errors
from salama.people.models import Area, Certainty, DecisionKind, Person
from salama.safety import services
from salama.safety.api import EventOut, _event_out, router
from salama.safety.models import Event, Heightened
from salama.safety.tokens import gated


class DecisionIn(Schema):
    kind: DecisionKind
    certainty: Certainty
    source: str = Field(..., min_length=1, max_length=500)
    reason: str = Field(..., min_length=1, max_length=2000)
    confirm_recent: bool = Field(
        False, description="the person was heard from recently: record it anyway (else 409)"
    )


class DecisionOut(Schema):
    id: int
    codename: str
    kind: str
    certainty: str
    made_at: datetime | None


def _person(request: HttpRequest, person_id: int) -> Person:
    return get_object_or_404(Person.objects.for_org(org_of(request)), pk=person_id)


@router.post(
    "/persons/{person_id}/decisions",
    response={201: DecisionOut, **errors(409)},
    auth=gated(*COORDINATING),
    openapi_extra=pages("safety:decide", created=True),
)
@api_roles(*COORDINATING)
def make_decision(
    request: HttpRequest, response: HttpResponse, person_id: int, payload: DecisionIn
) -> Answer:
    """Record MISSING, DETAINED, KILLED or EVACUATED (reported or confirmed). A person heard
    from recently: 409 unless `confirm_recent`."""
    person = _person(request, person_id)
    try:
        decision = services.make_decision(
            person=person, made_by=member_of(request),
            request=request, **payload.model_dump(),
        )  # fmt: skip
    except services.RecentContact as exc:
        raise Conflict(" ".join(exc.messages)) from exc
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc
    located(response, f"/persons/{person.pk}")
    return Answer(201, {
        "id": decision.pk, "codename": person.codename, "kind": decision.kind,
        "certainty": decision.certainty, "made_at": getattr(decision, "made_at", None),
    })  # fmt: skip


class Cleared(Schema):
    cleared: bool


@router.delete(
    "/persons/{person_id}/decision",
    response=Cleared,
    auth=gated(*COORDINATING),
    openapi_extra=pages("safety:clear"),
)
@api_roles(*COORDINATING)
def clear_decision(request: HttpRequest, person_id: int) -> dict[str, bool]:
    """End the decision in force (`cleared` false when there was none)."""
    done = services.clear_decision(
        person=_person(request, person_id),
        cleared_by=member_of(request),
        request=request,
    )
    return {"cleared": done is not None}


@router.post(
    "/events/{event_id}/close",
    response=EventOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("safety:event_close"),
)
@api_roles(*COORDINATING)
def close_event(request: HttpRequest, event_id: int) -> dict[str, Any]:
    event = get_object_or_404(Event.objects.for_org(org_of(request)), pk=event_id)
    services.close_event(event=event, closed_by=member_of(request), request=request)
    return _event_out(event)


class HeightenedIn(Schema):
    area_ids: list[int] = Field(..., max_length=200, description="[]: the whole organisation")


class HeightenedOut(Schema):
    id: int
    area_ids: list[int]
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None


def _mode_out(mode: Heightened) -> dict[str, Any]:
    return {
        "id": mode.pk, "area_ids": [a.pk for a in mode.areas.all()],
        "started_at": mode.started_at, "expires_at": mode.expires_at, "ended_at": mode.ended_at,
    }  # fmt: skip


@router.get("/heightened", response=list[HeightenedOut])
@api_roles(*COORDINATING)
def list_heightened(request: HttpRequest) -> list[dict[str, Any]]:
    """Heightened modes in force (at most a few: no pagination)."""
    return [_mode_out(m) for m in services.active_heightened(org_of(request))]


@router.post(
    "/heightened",
    response={201: HeightenedOut},
    auth=gated(*COORDINATING),
    openapi_extra=pages("safety:heightened", created=True),
)
@api_roles(*COORDINATING)
def start_heightened(request: HttpRequest, response: HttpResponse, payload: HeightenedIn) -> Answer:
    """Shorter check-in periods for 72 hours (renewed when started again); deadlines recomputed."""
    areas = list(Area.objects.for_org(org_of(request)).filter(pk__in=payload.area_ids))
    if len(areas) != len(set(payload.area_ids)):
        raise HttpError(422, _("Unknown area."))
    mode = services.set_heightened(
        org=org_of(request),
        areas=areas, started_by=member_of(request), request=request,
    )  # fmt: skip
    located(response, "/heightened")
    return Answer(201, _mode_out(mode))


@router.post(
    "/heightened/{mode_id}/end",
    response=HeightenedOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("safety:heightened_end"),
)
@api_roles(*COORDINATING)
def end_heightened(request: HttpRequest, mode_id: int) -> dict[str, Any]:
    mode = get_object_or_404(Heightened.objects.for_org(org_of(request)), pk=mode_id)
    services.end_heightened(mode=mode, ended_by=member_of(request), request=request)
    mode.refresh_from_db()
    return _mode_out(mode)


@router.get("/events/{event_id}", response=EventOut)
@api_roles(*COORDINATING)
def get_event(request: HttpRequest, event_id: int) -> dict[str, Any]:
    event = get_object_or_404(Event.objects.for_org(org_of(request)), pk=event_id)
    return _event_out(event)
