"""Changing the roster over JSON: persons (with their contact points, write-only), enrolment,
teams and areas — the same services as the pages (salama/people/roster.py, groups.py,
contacts.py). Answers carry codenames and structure only: a real name, a specialty or a number
sent here is stored encrypted and never returned (a reveal is a signed-in session's, see api.py).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Role
from salama.lib import clock
from salama.lib.apiaccess import api_roles, located, member_of, org_of, pages
from salama.lib.pagination import PAGED, PageQuery, paginate
from salama.people import selectors, services
from salama.people.api import PersonOut, _out, router
from salama.people.models import Area, Facility, Person, PersonRole, RiskLevel, Team
from salama.people.roster import ContactSpec

LEADS = (*COORDINATING, Role.FIELD_LEAD)


def _invalid(exc: ValidationError) -> HttpError:
    return HttpError(422, " ".join(exc.messages))


def _one(model: Any, request: HttpRequest, pk: int | None) -> Any:
    if pk is None:
        return None
    found = model.objects.for_org(org_of(request)).filter(pk=pk).first()
    if found is None:
        raise HttpError(422, _("Unknown %(what)s.") % {"what": model._meta.verbose_name})
    return found


class ContactIn(Schema):
    kind: str = Field("sms", pattern="^(sms|email)$")
    value: str = Field(..., min_length=3, max_length=200)
    label: str = Field("", max_length=60)
    is_shared: bool = False


class PersonIn(Schema):
    codename: str = Field(..., min_length=1, max_length=20)
    role: PersonRole
    team_id: int | None = None
    area_id: int | None = None
    home_facility_id: int | None = None
    language: str = Field("ar", pattern="^(ar|en)$")
    dependants: int = Field(0, ge=0, le=50)
    real_name: str = Field("", max_length=120)
    specialty: str = Field("", max_length=120)
    contacts: list[ContactIn] = Field([], max_length=10)


class PersonPatch(Schema):
    codename: str | None = Field(None, min_length=1, max_length=20)
    role: PersonRole | None = None
    team_id: int | None = None
    area_id: int | None = None
    home_facility_id: int | None = None
    language: str | None = Field(None, pattern="^(ar|en)$")
    dependants: int | None = Field(None, ge=0, le=50)
    is_active: bool | None = None
    contacts: list[ContactIn] = Field([], max_length=10)


def _fields(request: HttpRequest, payload: Any, given: set[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, model in (("team", Team), ("area", Area), ("home_facility", Facility)):
        if f"{name}_id" in given:
            fields[name] = _one(model, request, getattr(payload, f"{name}_id"))
    for name in ("codename", "role", "language", "dependants", "is_active"):
        if name in given and getattr(payload, name, None) is not None:
            fields[name] = getattr(payload, name)
    if "codename" in fields:
        fields["codename"] = services.clean_codename(fields["codename"])
    return fields


def _specs(payload: Any) -> list[ContactSpec]:
    return [ContactSpec(value=c.value, kind=c.kind, label=c.label, is_shared=c.is_shared)
            for c in payload.contacts]  # fmt: skip


@router.post(
    "/persons",
    response={201: PersonOut},
    openapi_extra=pages("people:person_new", created=True),
)
@api_roles(*COORDINATING)
def create_person(request: HttpRequest, response: HttpResponse, payload: PersonIn) -> Answer:
    """Add a person with their contact points (provisional until enrolled, as on the page)."""
    fields = _fields(request, payload, payload.model_fields_set | {"codename", "role"})
    codename = fields.pop("codename")
    role = fields.pop("role")
    extra = {k: getattr(payload, k) for k in ("real_name", "specialty") if getattr(payload, k)}
    try:
        person = services.create_person(
            org=org_of(request),
            codename=codename, role=role, contacts=_specs(payload), **fields, **extra,
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from exc
    located(response, f"/persons/{person.pk}")
    return Answer(201, _out(person))


@router.patch(
    "/persons/{person_id}",
    response=PersonOut,
    openapi_extra=pages("people:person_edit"),
)
@api_roles(*COORDINATING)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> dict[str, object]:
    """Change roster fields (only those sent) and add contact points."""
    person = get_object_or_404(Person.objects.for_org(org_of(request)), pk=person_id)
    fields = _fields(request, payload, payload.model_fields_set)
    try:
        person = services.update_person(person=person, contacts=_specs(payload), **fields)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return _out(person)


class EnrolIn(Schema):
    how: str = Field(..., pattern="^(in_person|voice)$")


@router.post(
    "/persons/{person_id}/enrolment",
    response=PersonOut,
    openapi_extra=pages("people:person_enrol"),
)
@api_roles(*COORDINATING)
def enrol_person(request: HttpRequest, person_id: int, payload: EnrolIn) -> dict[str, object]:
    """Record that you verified the person and a test message went both ways now."""
    person = get_object_or_404(Person.objects.for_org(org_of(request)), pk=person_id)
    try:
        services.record_enrolment(
            person=person, by=member_of(request),
            how=payload.how, test_message_at=clock.now(),
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return _out(person)


# --- teams and areas ----------------------------------------------------------------------------


class TeamIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    lead_ids: list[int] = Field([], max_length=20)
    deputy_ids: list[int] = Field([], max_length=20)


class TeamOut(Schema):
    id: int
    name: str
    lead_ids: list[int]
    deputy_ids: list[int]


def _team_out(team: Team) -> dict[str, Any]:
    links = list(team.lead_links.all())
    return {
        "id": team.pk,
        "name": team.name,
        "lead_ids": [t.person_id for t in links if not t.is_deputy],
        "deputy_ids": [t.person_id for t in links if t.is_deputy],
    }


def _persons(request: HttpRequest, ids: list[int]) -> list[Person]:
    found = list(Person.objects.for_org(org_of(request)).filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise HttpError(422, _("Unknown person."))
    return found


def _save_team(request: HttpRequest, payload: TeamIn, team: Team | None) -> Team:
    try:
        return services.save_team(
            org=org_of(request),
            team=team, name=payload.name,
            leads=_persons(request, payload.lead_ids),
            deputies=_persons(request, payload.deputy_ids),
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from exc


@router.get("/teams", response=list[TeamOut], openapi_extra=PAGED)
@api_roles(*LEADS)
def list_teams(
    request: HttpRequest, response: HttpResponse, page: Query[PageQuery]
) -> list[dict[str, Any]]:
    query = Team.objects.for_org(org_of(request)).prefetch_related("lead_links")
    return [_team_out(t) for t in paginate(request, response, query, page, ("id",))]


@router.post(
    "/teams",
    response={201: TeamOut},
    openapi_extra=pages("people:team_new", created=True),
)
@api_roles(*COORDINATING)
def create_team(request: HttpRequest, response: HttpResponse, payload: TeamIn) -> Answer:
    team = _save_team(request, payload, None)
    located(response, f"/teams/{team.pk}")
    return Answer(201, _team_out(team))


@router.put(
    "/teams/{team_id}",
    response=TeamOut,
    openapi_extra=pages("people:team_edit"),
)
@api_roles(*COORDINATING)
def update_team(request: HttpRequest, team_id: int, payload: TeamIn) -> dict[str, Any]:
    team = get_object_or_404(Team.objects.for_org(org_of(request)), pk=team_id)
    return _team_out(_save_team(request, payload, team))


class AreaIn(Schema):
    name_en: str = Field(..., min_length=1, max_length=80)
    name_ar: str = Field(..., min_length=1, max_length=80)
    aliases: str = Field("", max_length=2000)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    risk: RiskLevel = RiskLevel.LOW


class AreaOut(AreaIn):
    id: int


def _area_out(area: Area) -> dict[str, Any]:
    return {
        "id": area.pk, "name_en": area.name_en, "name_ar": area.name_ar,
        "aliases": area.aliases, "latitude": area.latitude, "longitude": area.longitude,
        "risk": area.risk,
    }  # fmt: skip


def _save_area(request: HttpRequest, payload: AreaIn, area: Area | None) -> Area:
    try:
        return services.save_area(
            org=org_of(request),
            area=area, **payload.model_dump(),
        )  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc) from exc


@router.get("/areas", response=list[AreaOut], openapi_extra=PAGED)
@api_roles(*LEADS)
def list_areas(
    request: HttpRequest, response: HttpResponse, page: Query[PageQuery]
) -> list[dict[str, Any]]:
    query = selectors.areas(org_of(request))
    return [_area_out(a) for a in paginate(request, response, query, page, ("id",))]


@router.post(
    "/areas",
    response={201: AreaOut},
    openapi_extra=pages("people:area_new", created=True),
)
@api_roles(*COORDINATING)
def create_area(request: HttpRequest, response: HttpResponse, payload: AreaIn) -> Answer:
    area = _save_area(request, payload, None)
    located(response, f"/areas/{area.pk}")
    return Answer(201, _area_out(area))


@router.put(
    "/areas/{area_id}",
    response=AreaOut,
    openapi_extra=pages("people:area_edit"),
)
@api_roles(*COORDINATING)
def update_area(request: HttpRequest, area_id: int, payload: AreaIn) -> dict[str, Any]:
    area = get_object_or_404(Area.objects.for_org(org_of(request)), pk=area_id)
    return _area_out(_save_area(request, payload, area))


@router.get("/teams/{team_id}", response=TeamOut)
@api_roles(*LEADS)
def get_team(request: HttpRequest, team_id: int) -> dict[str, Any]:
    query = Team.objects.for_org(org_of(request)).prefetch_related("lead_links")
    return _team_out(get_object_or_404(query, pk=team_id))


@router.get("/areas/{area_id}", response=AreaOut)
@api_roles(*LEADS)
def get_area(request: HttpRequest, area_id: int) -> dict[str, Any]:
    return _area_out(get_object_or_404(Area.objects.for_org(org_of(request)), pk=area_id))
