"""The roster over JSON: codenames and structure only, never a real name or a number, except
`POST /persons/{person_id}/reveal` (one field, one audit row), for coordinators and org admins
signed in with a session (so with its CSRF token) and a recent second factor, never with an API
token. A reveal is never a GET: a link or an image on another site must not trigger one."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.factors import has_recent_second_factor, requires_second_factor
from salama.lib.apiaccess import SignedInSession, api_roles
from salama.lib.pagination import PAGED, PageQuery, paginate
from salama.people import selectors, services
from salama.people.models import Person

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    codename: str
    role: str
    team_id: int | None
    team: str | None
    area_id: int | None
    area: str | None
    home_facility_id: int | None
    language: str
    is_active: bool
    is_enrolled: bool
    state: str
    state_at: datetime | None
    decision: str


class PersonDetailOut(PersonOut):
    dependants: int | None = None
    contact_points: int | None = None
    shared_contact_points: int | None = None
    has_real_name: bool | None = None
    revealed: dict[str, str] | None = None


class RevealIn(Schema):
    field: str = "real_name"


class PersonFilters(PageQuery):
    q: str | None = None
    team: int | None = None
    area: int | None = None
    facility: int | None = None
    state: str | None = None
    enrolment: str | None = None


def _out(person: Person) -> dict[str, object]:
    return {
        "id": person.pk,
        "codename": person.codename,
        "role": person.role,
        "team_id": person.team_id,
        "team": person.team.name if person.team else None,
        "area_id": person.area_id,
        "area": person.area.name_en if person.area else None,
        "home_facility_id": person.home_facility_id,
        "language": person.language,
        "is_active": person.is_active,
        "is_enrolled": person.is_enrolled,
        "state": person.state,
        "state_at": person.state_at,
        "decision": person.decision,
    }


@router.get("/persons", response=list[PersonOut], openapi_extra=PAGED)
@api_roles(*COORDINATING)
def list_persons(
    request: HttpRequest, response: HttpResponse, filters: Query[PersonFilters]
) -> list[dict[str, object]]:
    """The roster by codename, filtered as on the page, by cursor (docs/api.md)."""
    paging = {"cursor", "limit"}
    wanted = {k: v for k, v in filters.dict().items() if v not in (None, "") and k not in paging}
    query = selectors.roster(request.org, wanted)  # type: ignore[attr-defined]
    return [_out(p) for p in paginate(request, response, query, filters, ("codename", "id"))]


@router.get("/persons/{person_id}", response=PersonDetailOut)
@api_roles(*COORDINATING)
def get_person(request: HttpRequest, person_id: int) -> dict[str, object]:
    person = _person(request, person_id)
    points = person.contact_points.defer("value", "label")
    return {
        **_out(person),
        "dependants": person.dependants,
        "contact_points": points.count(),
        "shared_contact_points": points.filter(is_shared=True).count(),
        "has_real_name": bool(person.real_name),
    }


class RevealSession(SignedInSession):
    """A reveal's authentication: a signed-in session only (with its CSRF token; never an API
    token), and the role refused before the body is parsed, so a denied role gets 403."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        membership = getattr(request, "membership", None)
        if user and (membership is None or membership.role not in COORDINATING):
            raise HttpError(403, _("Your role does not allow this."))
        return user


@router.post("/persons/{person_id}/reveal", response=PersonDetailOut, auth=RevealSession())
@api_roles(*COORDINATING)
def reveal_person(request: HttpRequest, person_id: int, payload: RevealIn) -> dict[str, object]:
    """One field of one person ("real_name", "specialty", "exact_location", "contact:<id>")."""
    return _reveal(request, _person(request, person_id), payload.field)


def _person(request: HttpRequest, person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.for_org(request.org).select_related("team", "area"),  # type: ignore[attr-defined]
        pk=person_id,
    )


def _reveal(request: HttpRequest, person: Person, field: str) -> dict[str, object]:
    if getattr(request, "api_token", None) is not None:
        raise HttpError(401, _("A reveal needs a signed-in session, never an API token."))
    if not has_recent_second_factor(request) and requires_second_factor(request.user):
        raise HttpError(403, _("Confirm your second factor again before a reveal."))
    try:
        value = services.reveal(person=person, field=field, request=request)
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc
    return {**_out(person), "revealed": {field: value}}
