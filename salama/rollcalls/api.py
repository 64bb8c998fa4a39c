"""Roll calls over the API: a coordinator's summary, and a person's answer."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from salama.accounts.access import ALL_ROLES, COORDINATING
from salama.lib.apiaccess import api_roles, pages
from salama.lib.problems import errors
from salama.people.models import Person
from salama.rollcalls import selectors, services
from salama.rollcalls.models import RollCall

router = Router(tags=["rollcalls"])


class Summary(Schema):
    number: int
    state: str
    counts: dict[str, int]
    options: dict[str, int]
    last_send_at: str | None


class AnswerIn(Schema):
    option: int


class AnswerOut(Schema):
    number: int
    option: int
    timing: str


@router.get("/rollcalls/{rollcall_number}", response=Summary)
@api_roles(*COORDINATING)
def rollcall_summary(request: HttpRequest, rollcall_number: int) -> Summary:
    roll_call = get_object_or_404(
        RollCall.objects.for_org(request.org),  # type: ignore[attr-defined]
        number=rollcall_number,
    )
    data = selectors.summary(roll_call)
    last = data["last_send_at"]
    return Summary(
        number=roll_call.number,
        state=roll_call.state,
        counts=dict(data["counts"]),
        options={str(o["number"]): o["count"] for o in data["options"]},
        last_send_at=last.isoformat() if last else None,
    )


@router.post(
    "/rollcall-answers",
    response={200: AnswerOut, **errors(404)},
    openapi_extra=pages("rollcalls:answer"),
)
@api_roles(*ALL_ROLES)
def rollcall_answer(request: HttpRequest, payload: AnswerIn) -> AnswerOut:
    """Answer the signed-in person's open roll call."""
    person = (
        Person.objects.for_org(request.org)  # type: ignore[attr-defined]
        .filter(membership=request.membership)  # type: ignore[attr-defined]
        .first()
    )
    recipient = services.open_for(person) if person is not None else None
    if recipient is None:
        raise HttpError(404, _("You have no open roll call to answer."))
    try:
        credit = services.credit_answer(
            recipient=recipient, option=payload.option, via="api", timed=True
        )
    except services.RollCallError as exc:
        raise HttpError(400, " ".join(exc.messages)) from None
    return AnswerOut(number=recipient.roll_call.number, option=payload.option, timing=credit.timing)
