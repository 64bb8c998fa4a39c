"""Closing and handing over alerts, the duty rota and silence acknowledgements over JSON — the
same services as the duty pages (salama/alerts/handling.py, rota.py). A closing note and a
silence's reason are stored encrypted and never returned."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Role
from salama.alerts import rota, services
from salama.alerts.api import AlertOut, _out, router
from salama.alerts.models import Alert, Shift
from salama.lib.apiaccess import api_roles, located, member_of, org_of, pages
from salama.lib.pagination import PAGED, PageQuery, paginate
from salama.people.models import Person

VOUCHING = (*COORDINATING, Role.FIELD_LEAD)


def _invalid(exc: ValidationError) -> HttpError:
    return HttpError(422, " ".join(exc.messages))


def _member(request: HttpRequest, membership_id: int) -> Membership:
    found = Membership.objects.filter(
        org=org_of(request),
        pk=membership_id,
        is_active=True,
    ).first()
    if found is None:
        raise HttpError(422, _("Unknown member of your organisation."))
    return found


def _alert(request: HttpRequest, number: int) -> Alert:
    query = Alert.objects.for_org(org_of(request)).select_related("person", "owner__user")
    return get_object_or_404(query, number=number)


class CloseIn(Schema):
    note: str = Field(..., min_length=1, max_length=2000, description="what was done (encrypted)")


@router.post("/alerts/{alert_number}/close", response=AlertOut, openapi_extra=pages("alerts:close"))
@api_roles(*COORDINATING)
def close_alert(request: HttpRequest, alert_number: int, payload: CloseIn) -> AlertOut:
    """Close with what was done; an open alert is acknowledged by closing it."""
    alert = _alert(request, alert_number)
    try:
        services.close(alert=alert, by=member_of(request), note=payload.note, request=request)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return _out(_alert(request, alert_number))


class Assignment(Schema):
    alert_number: int = Field(..., ge=1, le=2**31 - 1)
    membership_id: int = Field(..., ge=1, le=2**31 - 1)


class HandoverIn(Schema):
    assignments: list[Assignment] = Field(
        ..., max_length=5000, description="every alert not yet closed, each with the membership "
        "id of its new owner (all or nothing)"
    )  # fmt: skip


class HandoverOut(Schema):
    handed_over: int


@router.post("/alerts/handover", response=HandoverOut, openapi_extra=pages("alerts:handover"))
@api_roles(*COORDINATING)
def hand_over(request: HttpRequest, payload: HandoverIn) -> dict[str, int]:
    org = org_of(request)
    wanted = {a.alert_number: a.membership_id for a in payload.assignments}
    by_number = dict(
        Alert.objects.for_org(org).filter(number__in=list(wanted)).values_list("number", "pk")
    )
    if len(by_number) != len(wanted):
        raise HttpError(422, _("Unknown alert."))
    owners = {by_number[n]: _member(request, m) for n, m in wanted.items()}
    try:
        count = services.hand_over(
            org=org,
            by=member_of(request),
            assignments=owners,
            request=request,
        )
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return {"handed_over": count}


# --- the duty rota ------------------------------------------------------------------------------


class ShiftIn(Schema):
    membership_id: int
    starts: datetime = Field(..., description="wall-clock time in time_zone (any offset ignored)")
    ends: datetime
    time_zone: str = Field(..., max_length=64)


class ShiftOut(Schema):
    id: int
    membership_id: int
    starts_at: datetime
    ends_at: datetime
    time_zone: str


def _shift_out(shift: Shift) -> dict[str, Any]:
    return {
        "id": shift.pk, "membership_id": shift.membership_id, "starts_at": shift.starts_at,
        "ends_at": shift.ends_at, "time_zone": shift.time_zone,
    }  # fmt: skip


@router.get("/rota", response=list[ShiftOut], openapi_extra=PAGED)
@api_roles(*COORDINATING)
def list_shifts(
    request: HttpRequest, response: HttpResponse, page: Query[PageQuery]
) -> list[dict[str, Any]]:
    """Shifts by start, by cursor."""
    query = Shift.objects.for_org(org_of(request))
    return [_shift_out(s) for s in paginate(request, response, query, page, ("starts_at", "id"))]


def _naive(value: datetime) -> datetime:
    return timezone.make_naive(value) if timezone.is_aware(value) else value


@router.post("/rota", response={201: ShiftOut}, openapi_extra=pages("alerts:rota", created=True))
@api_roles(*COORDINATING)
def add_shift(request: HttpRequest, response: HttpResponse, payload: ShiftIn) -> Answer:
    if payload.time_zone not in available_timezones():
        raise HttpError(422, _("Unknown time zone."))
    ZoneInfo(payload.time_zone)
    try:
        shift = rota.add_shift(
            org=org_of(request),
            membership=_member(request, payload.membership_id),
            starts=_naive(payload.starts), ends=_naive(payload.ends),
            time_zone=payload.time_zone, by=member_of(request),
            request=request,
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from exc
    located(response, "/rota")
    return Answer(201, _shift_out(shift))


class Removed(Schema):
    removed: bool


@router.delete("/rota/{shift_id}", response=Removed, openapi_extra=pages("alerts:shift_remove"))
@api_roles(*COORDINATING)
def remove_shift(request: HttpRequest, shift_id: int) -> dict[str, bool]:
    shift = get_object_or_404(Shift.objects.for_org(org_of(request)), pk=shift_id)
    rota.remove_shift(shift=shift, by=member_of(request), request=request)
    return {"removed": True}


# --- silence acknowledgements -------------------------------------------------------------------


class SilenceIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500, description="kept encrypted")
    until: datetime = Field(..., description="at most a week ahead")


class SilenceOut(Schema):
    codename: str
    until: datetime


@router.post(
    "/persons/{person_id}/silence",
    response={201: SilenceOut},
    openapi_extra=pages("alerts:silence", created=True),
)
@api_roles(*VOUCHING)
def acknowledge_silence(
    request: HttpRequest, response: HttpResponse, person_id: int, payload: SilenceIn
) -> Answer:
    """ "In surgery until 18:00": no reminder nor digest counts this person's silence until then.
    Leads for their own teams' people, coordinators for anyone."""
    person = get_object_or_404(Person.objects.for_org(org_of(request)), pk=person_id)
    try:
        ack = rota.acknowledge_silence(
            person=person, by=member_of(request),
            reason=payload.reason, until=payload.until, request=request,
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from exc
    located(response, f"/persons/{person.pk}")
    return Answer(201, {"codename": person.codename, "until": ack.expires_at})
