"""Previewing, launching, listing and closing roll calls, and accepting answers, over JSON — the
same services as the composer and the live page (salama/rollcalls/planning.py, snapshot.py,
closing.py). A question with words that are a risk on the wire (salama/messaging/wire.py) is
refused (422, the problems listed) unless `confirm_wire` is true, as the page asks for CONFIRM."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.lib import clock
from salama.lib.apiaccess import api_roles, located, member_of, org_of, pages
from salama.lib.pagination import PAGED, PageQuery, paginate
from salama.messaging.wire import wire_problems
from salama.rollcalls import services
from salama.rollcalls.api import Summary, rollcall_summary, router
from salama.rollcalls.models import RollCall, RollCallRecipient

EFFECTS = "^(SAFE|NEED_HELP|INJURED|)$"


class OptionIn(Schema):
    label: str = Field(..., min_length=1, max_length=40)
    effect: str = Field("", pattern=EFFECTS)


class TargetIn(Schema):
    everyone: bool = False
    team_ids: list[int] = Field([], max_length=200)
    area_ids: list[int] = Field([], max_length=200)
    facility_ids: list[int] = Field([], max_length=200)
    person_ids: list[int] = Field([], max_length=2000)


class ComposeIn(Schema):
    question: str = Field(..., min_length=1, max_length=300)
    question_ar: str = Field(
        "", max_length=300, description="the question in Arabic, for those who read Arabic"
    )
    question_en: str = Field(
        "", max_length=300, description="the question in English, for those who read English"
    )
    target: TargetIn
    is_safety: bool = True
    extra_options: list[OptionIn] = Field([], max_length=6)
    resend_after_minutes: int = Field(0, ge=0, le=24 * 60)
    resend_max: int = Field(1, ge=0, le=5)


class LaunchIn(ComposeIn):
    minutes: int = Field(60, ge=5, le=7 * 24 * 60, description="the deadline, from now")
    confirm_wire: bool = False


def _target(payload: ComposeIn) -> services.Target:
    t = payload.target
    return services.Target(
        everyone=t.everyone, teams=tuple(t.team_ids), areas=tuple(t.area_ids),
        facilities=tuple(t.facility_ids), persons=tuple(t.person_ids),
    )  # fmt: skip


def _common(payload: ComposeIn) -> dict[str, Any]:
    return {
        "question": payload.question,
        "question_ar": payload.question_ar,
        "question_en": payload.question_en,
        "target": _target(payload),
        "is_safety": payload.is_safety,
        "extra_options": [(o.label, o.effect) for o in payload.extra_options],
        "resend_after_minutes": payload.resend_after_minutes,
        "resend_max": payload.resend_max,
    }


def _wire_problems(org: Any, payload: ComposeIn) -> list[str]:
    """The wire's problems in the question and in each language's own question."""
    texts = (payload.question, payload.question_ar, payload.question_en)
    return [str(p) for text in texts if text for p in wire_problems(org, text)]


@router.post("/rollcall-previews", response=dict[str, Any])
@api_roles(*COORDINATING)
def preview_rollcall(request: HttpRequest, payload: ComposeIn) -> dict[str, Any]:
    """What it would cost before anything is sent: recipients, messages, segments, sends, cost,
    withheld, the month's budget; and `wire_problems` in the question."""
    org = org_of(request)
    try:
        cost = services.preview(org=org, **_common(payload))
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc
    return {
        **cost,
        "cost": float(cost.get("cost", 0)),
        "wire_problems": _wire_problems(org, payload),
    }


@router.post(
    "/rollcalls",
    response={201: Summary},
    openapi_extra=pages("rollcalls:index", created=True),
)
@api_roles(*COORDINATING)
def launch_rollcall(request: HttpRequest, response: HttpResponse, payload: LaunchIn) -> Answer:
    """Open the roll call: recipients snapshotted and every message queued at once."""
    org = org_of(request)
    problems = _wire_problems(org, payload)
    if problems and not payload.confirm_wire:
        message = _(
            "The question has words that are a risk on the wire: %(p)s. Send confirm_wire "
            "true to send it anyway."
        )
        raise HttpError(422, message % {"p": "; ".join(map(str, problems))})
    try:
        roll_call = services.open_roll_call(
            org=org, deadline_at=clock.now() + timedelta(minutes=payload.minutes),
            opened_by=member_of(request),
            wire_confirmed=bool(problems), request=request, **_common(payload),
        )  # fmt: skip
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc
    located(response, f"/rollcalls/{roll_call.number}")
    return Answer(201, rollcall_summary.__wrapped__(request, roll_call.number))


class RollCallOut(Schema):
    number: int
    state: str
    opened_at: datetime
    deadline_at: datetime | None
    closed_at: datetime | None


@router.get("/rollcalls", response=list[RollCallOut], openapi_extra=PAGED)
@api_roles(*COORDINATING)
def list_rollcalls(
    request: HttpRequest, response: HttpResponse, page: Query[PageQuery]
) -> list[dict[str, Any]]:
    """Newest first, by cursor."""
    query = RollCall.objects.for_org(org_of(request))
    rows = paginate(request, response, query, page, ("-opened_at", "-id"))
    return [{"number": r.number, "state": r.state, "opened_at": r.opened_at,
             "deadline_at": r.deadline_at, "closed_at": r.closed_at} for r in rows]  # fmt: skip


def _roll_call(request: HttpRequest, number: int) -> RollCall:
    return get_object_or_404(RollCall.objects.for_org(org_of(request)), number=number)


@router.post(
    "/rollcalls/{rollcall_number}/close", response=Summary, openapi_extra=pages("rollcalls:close")
)
@api_roles(*COORDINATING)
def close_rollcall(request: HttpRequest, rollcall_number: int) -> Summary:
    """Close it (the digest is queued); closing a closed one changes nothing."""
    roll_call = _roll_call(request, rollcall_number)
    services.close_roll_call(roll_call=roll_call, by=member_of(request), request=request)
    return rollcall_summary.__wrapped__(request, rollcall_number)


class AcceptIn(Schema):
    recipient_ids: list[int] = Field(..., min_length=1, max_length=5000)


class Accepted(Schema):
    accepted: int


@router.post(
    "/rollcalls/{rollcall_number}/accept",
    response=Accepted,
    openapi_extra=pages("rollcalls:accept", "rollcalls:accept_all"),
)
@api_roles(*COORDINATING)
def accept_answers(request: HttpRequest, rollcall_number: int, payload: AcceptIn) -> dict[str, int]:
    """Accept answers of unknown timing (their recipient ids, from the live page's list)."""
    roll_call = _roll_call(request, rollcall_number)
    known = RollCallRecipient.objects.for_org(org_of(request)).filter(
        roll_call=roll_call, pk__in=payload.recipient_ids
    )
    accepted = services.accept_answers(
        roll_call=roll_call, recipient_ids=list(known.values_list("pk", flat=True)),
        by=member_of(request), request=request,
    )  # fmt: skip
    return {"accepted": accepted}
