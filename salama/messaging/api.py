"""Messaging over JSON: the unmatched list (texts from numbers nobody is known by), attaching
one to a person (the number joins them; their waiting texts are replayed) and setting one aside —
the same services as /messaging/unmatched/. The list carries no body and no number: a
coordinator reads those on the page; a program needs to know how many wait, and since when."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.lib.apiaccess import api_roles, member_of, org_of, pages
from salama.lib.pagination import PAGED, PageQuery, paginate
from salama.lib.problems import Conflict, errors
from salama.messaging import inbound, services
from salama.messaging.models import InboundMessage, InboundState
from salama.people.models import Person

router = Router(tags=["messaging"])


class UnmatchedOut(Schema):
    id: int
    state: str
    channel: str
    received_at: datetime
    has_danger_word: bool
    alert: int | None


def _out(row: InboundMessage) -> dict[str, Any]:
    return {
        "id": row.pk, "state": row.state, "channel": row.channel,
        "received_at": row.received_at, "has_danger_word": row.has_danger_word,
        "alert": row.alert_id,
    }  # fmt: skip


def _row(request: HttpRequest, inbound_id: int) -> InboundMessage:
    query = InboundMessage.objects.for_org(org_of(request)).select_related("org")
    return get_object_or_404(query, pk=inbound_id)


@router.get("/unmatched", response=list[UnmatchedOut], openapi_extra=PAGED)
@api_roles(*COORDINATING)
def list_unmatched(
    request: HttpRequest, response: HttpResponse, page: Query[PageQuery]
) -> list[dict[str, Any]]:
    """Texts waiting for a person (and those whose handling failed), newest first, by cursor."""
    query = InboundMessage.objects.for_org(org_of(request)).filter(
        state__in=[InboundState.UNMATCHED, InboundState.FAILED]
    )
    return [_out(r) for r in paginate(request, response, query, page, ("-received_at", "-id"))]


class AttachIn(Schema):
    codename: str = Field(..., min_length=1, max_length=20)


class AttachOut(Schema):
    codename: str
    replayed: int


@router.post(
    "/unmatched/{inbound_id}/attach",
    response={200: AttachOut, **errors(409)},
    openapi_extra=pages("messaging:attach"),
)
@api_roles(*COORDINATING)
def attach_unmatched(request: HttpRequest, inbound_id: int, payload: AttachIn) -> dict[str, Any]:
    row = _row(request, inbound_id)
    person = (
        Person.objects.for_org(org_of(request))
        .filter(codename__iexact=payload.codename.strip())
        .first()
    )
    if person is None:
        raise HttpError(422, _("No person has this codename."))
    if row.state != InboundState.UNMATCHED:
        raise Conflict(_("This text is no longer waiting."))
    done = inbound.attach_and_replay(
        inbound=row,
        person=person,
        by=member_of(request),
        request=request,
    )
    return {"codename": person.codename, "replayed": len(done)}


class Dismissed(Schema):
    dismissed: bool


@router.post(
    "/unmatched/{inbound_id}/dismiss",
    response=Dismissed,
    openapi_extra=pages("messaging:dismiss"),
)
@api_roles(*COORDINATING)
def dismiss_unmatched(request: HttpRequest, inbound_id: int) -> dict[str, bool]:
    done = services.dismiss_unmatched(
        inbound=_row(request, inbound_id),
        by=member_of(request),
        request=request,
    )
    return {"dismissed": bool(done)}
