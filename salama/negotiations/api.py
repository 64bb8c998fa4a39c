"""Negotiations over JSON, through the same services as the pages: parties, the negotiation log,
packages (prepared from a movement, counts only), approvals (the two-person rule), exports and
consents. Org-scoped; coordinators and liaisons only. Contacts and free text are returned to
them (they read them on the pages too); codenames and real names are never returned, except a
named person's consented details inside an exported notice."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.models import Membership, Organisation
from salama.evacuation.models import Movement, Request
from salama.evacuation.models import Party as ClearingParty
from salama.lib.apiaccess import api_roles, pages
from salama.lib.problems import errors
from salama.negotiations import selectors, services
from salama.negotiations.base import NEGOTIATORS
from salama.negotiations.models import Interaction, Package, PackageVersion, Party
from salama.people.models import Person
from salama.safety.tokens import gated

router = Router(tags=["negotiations"])


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _refused(error: services.NegotiationError) -> HttpError:
    return HttpError(422, " ".join(error.messages))


class PartyIn(Schema):
    name: str = Field(max_length=80)
    name_ar: str = Field(default="", max_length=80)
    kind: str
    contacts: str = Field(default="", max_length=2000)
    screens_evacuees: bool = False
    clearing_party_id: int | None = None


class PartyOut(Schema):
    id: int
    name: str
    name_ar: str
    kind: str
    contacts: str
    screens_evacuees: bool
    clearing_party_id: int | None


def _party_out(p: Party) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "name_ar": p.name_ar,
        "kind": p.kind,
        "contacts": str(p.contacts or ""),
        "screens_evacuees": p.screens_evacuees,
        "clearing_party_id": p.clearing_party_id,
    }


@router.get("/negotiations/parties", response=list[PartyOut])
@api_roles(*NEGOTIATORS)
def list_parties(request: HttpRequest) -> list[dict[str, Any]]:
    return [_party_out(p) for p in selectors.parties(_org(request))]


@router.post(
    "/negotiations/parties",
    response={201: PartyOut, **errors(404)},  # a clearing party not of this org
    auth=gated(*NEGOTIATORS),
    openapi_extra=pages("negotiations:parties"),
)
@api_roles(*NEGOTIATORS)
def create_party(request: HttpRequest, payload: PartyIn) -> Answer:
    org = _org(request)
    clearing = None
    if payload.clearing_party_id is not None:
        clearing = ClearingParty.objects.for_org(org).filter(pk=payload.clearing_party_id).first()
        if clearing is None:
            raise HttpError(404, _("Unknown clearing party."))
    try:
        party = services.save_party(
            org=org,
            by=_member(request),
            http=request,
            clearing_party=clearing,
            **payload.model_dump(exclude={"clearing_party_id"}),
        )
    except services.NegotiationError as error:
        raise _refused(error) from error
    return Answer(201, _party_out(party))


class InteractionIn(Schema):
    party_id: int
    at: datetime
    channel: str
    participants: str = Field(default="", max_length=2000)
    asked: str = Field(default="", max_length=4000)
    promised: str = Field(default="", max_length=4000)
    next_step: str = Field(default="", max_length=2000)
    next_due: date | None = None
    outcome: str = "open"
    outcome_note: str = Field(default="", max_length=4000)
    movement_ids: list[int] = Field(default=[], max_length=50)
    request_ids: list[int] = Field(default=[], max_length=50)
    version_ids: list[int] = Field(default=[], max_length=50)


class InteractionOut(Schema):
    id: int
    party_id: int
    at: datetime
    channel: str
    participants: str
    asked: str
    promised: str
    next_step: str
    next_due: date | None
    next_done: bool
    outcome: str
    outcome_note: str
    movement_ids: list[int]
    request_ids: list[int]
    version_ids: list[int]


def _interaction_out(i: Interaction) -> dict[str, Any]:
    return {
        "id": i.pk,
        "party_id": i.party_id,
        "at": i.at,
        "channel": i.channel,
        "participants": str(i.participants or ""),
        "asked": str(i.asked or ""),
        "promised": str(i.promised or ""),
        "next_step": str(i.next_step or ""),
        "next_due": i.next_due,
        "next_done": i.next_done_at is not None,
        "outcome": i.outcome,
        "outcome_note": str(i.outcome_note or ""),
        "movement_ids": [m.pk for m in i.movements.all()],
        "request_ids": [r.pk for r in i.requests.all()],
        "version_ids": [v.pk for v in i.versions.all()],
    }


@router.get("/negotiations/interactions", response=list[InteractionOut])
@api_roles(*NEGOTIATORS)
def list_interactions(request: HttpRequest) -> list[dict[str, Any]]:
    rows = selectors.interactions(_org(request)).prefetch_related(
        "movements", "requests", "versions"
    )
    return [_interaction_out(i) for i in rows[:500]]


@router.post(
    "/negotiations/interactions",
    response={201: InteractionOut, **errors(404)},  # a movement or request not of this org
    auth=gated(*NEGOTIATORS),
    openapi_extra=pages("negotiations:interactions"),
)
@api_roles(*NEGOTIATORS)
def create_interaction(request: HttpRequest, payload: InteractionIn) -> Answer:
    org = _org(request)
    party = selectors.party_of(org, payload.party_id)
    if party is None:
        raise HttpError(404, _("Unknown party."))
    movements = list(Movement.objects.for_org(org).filter(pk__in=payload.movement_ids))
    requests = list(Request.objects.for_org(org).filter(pk__in=payload.request_ids))
    versions = list(PackageVersion.objects.for_org(org).filter(pk__in=payload.version_ids))
    if (
        len(movements) != len(set(payload.movement_ids))
        or len(requests) != len(set(payload.request_ids))
        or len(versions) != len(set(payload.version_ids))
    ):
        raise HttpError(404, _("Unknown movement, request or package."))
    data = services.InteractionInput(
        **payload.model_dump(exclude={"party_id", "movement_ids", "request_ids", "version_ids"}),
        movements=movements,
        requests=requests,
        versions=versions,
    )
    try:
        row = services.log_interaction(party=party, data=data, by=_member(request), http=request)
    except services.NegotiationError as error:
        raise _refused(error) from error
    return Answer(201, _interaction_out(row))


class PackageIn(Schema):
    movement_id: int
    party_id: int
    channel: str = "platform"
    emergency: bool = False


class PackageOut(Schema):
    id: int
    movement_id: int
    party_id: int
    emergency: bool
    version_id: int
    version: int
    content_hash: str
    people: int
    named_count: int
    approvals: int
    approved: bool
    exported_at: datetime | None
    lead_warning: str


def _package_out(package: Package) -> dict[str, Any]:
    version = services.current(package)
    if version is None:
        raise HttpError(404, _("Unknown movement, request or package."))
    return {
        "id": package.pk,
        "movement_id": package.movement_id,
        "party_id": package.party_id,
        "emergency": package.emergency,
        "version_id": version.pk,
        "version": version.number,
        "content_hash": version.content_hash,
        "people": version.people,
        "named_count": len(version.named),
        "approvals": version.approvals.count(),
        "approved": services.is_approved(version),
        "exported_at": version.exported_at,
        "lead_warning": services.lead_warning(package),
    }


@router.get("/negotiations/packages", response=list[PackageOut])
@api_roles(*NEGOTIATORS)
def list_packages(request: HttpRequest) -> list[dict[str, Any]]:
    return [_package_out(p) for p in selectors.packages(_org(request))[:200]]


@router.post(
    "/negotiations/packages",
    response={201: PackageOut, **errors(404)},  # a movement or party not of this org
    auth=gated(*NEGOTIATORS),
    openapi_extra=pages("negotiations:packages"),
)
@api_roles(*NEGOTIATORS)
def create_package(request: HttpRequest, payload: PackageIn) -> Answer:
    org = _org(request)
    movement = Movement.objects.for_org(org).filter(pk=payload.movement_id).first()
    party = selectors.party_of(org, payload.party_id)
    if movement is None or party is None:
        raise HttpError(404, _("Unknown movement, request or package."))
    data = services.draft_from(movement)
    data.channel = payload.channel
    try:
        version = services.create_package(
            movement=movement,
            party=party,
            data=data,
            by=_member(request),
            emergency=payload.emergency,
            http=request,
        )
    except services.NegotiationError as error:
        raise _refused(error) from error
    return Answer(201, _package_out(version.package))


@router.get("/negotiations/packages/{package_id}", response=PackageOut)
@api_roles(*NEGOTIATORS)
def get_package(request: HttpRequest, package_id: int) -> dict[str, Any]:
    package = selectors.package_of(_org(request), package_id)
    if package is None:
        raise HttpError(404, _("Unknown movement, request or package."))
    return _package_out(package)


def _version(request: HttpRequest, version_id: int) -> PackageVersion:
    version = selectors.version_of(_org(request), version_id)
    if version is None:
        raise HttpError(404, _("Unknown movement, request or package."))
    return version


class ApprovalOut(Schema):
    version_id: int
    approvals: int
    approved: bool


@router.post(
    "/negotiations/versions/{version_id}/approve",
    response=ApprovalOut,
    auth=gated(*NEGOTIATORS),
    openapi_extra=pages("negotiations:package_action"),
)
@api_roles(*NEGOTIATORS)
def approve(request: HttpRequest, version_id: int) -> dict[str, Any]:
    """A coordinator's approval of this exact version (liaisons are refused, audited)."""
    version = _version(request, version_id)
    try:
        services.approve(version=version, by=_member(request), http=request)
    except services.NegotiationError as error:
        raise _refused(error) from error
    return {
        "version_id": version.pk,
        "approvals": version.approvals.count(),
        "approved": services.is_approved(version),
    }


@router.get("/negotiations/versions/{version_id}/export", response=dict[str, Any])
@api_roles(*NEGOTIATORS)
def export(request: HttpRequest, version_id: int) -> dict[str, Any]:
    """The notice as it leaves the organisation: refused (422) before two approvals."""
    version = _version(request, version_id)
    try:
        return services.export(version=version, by=_member(request), kind="json", http=request)
    except services.NegotiationError as error:
        raise _refused(error) from error


class ConsentIn(Schema):
    # Defaults, so an unknown version is a 404 before the body is judged (then a 422).
    person_id: int = 0
    decision: str = ""
    how: str = ""
    told: str = Field(default="", max_length=4000)


class ConsentOut(Schema):
    id: int
    person_id: int
    party_id: int
    version_id: int
    decision: str
    how: str
    at: datetime


@router.get("/negotiations/versions/{version_id}/consents", response=list[ConsentOut])
@api_roles(*NEGOTIATORS)
def list_consents(request: HttpRequest, version_id: int) -> list[dict[str, Any]]:
    return [
        {
            "id": c.pk,
            "person_id": c.person_id,
            "party_id": c.party_id,
            "version_id": c.version_id,
            "decision": c.decision,
            "how": c.how,
            "at": c.at,
        }
        for c in selectors.consents(_version(request, version_id))
    ]


@router.post(
    "/negotiations/versions/{version_id}/consents",
    response={201: ConsentOut},
    auth=gated(*NEGOTIATORS),
    openapi_extra=pages("negotiations:package_action"),
)
@api_roles(*NEGOTIATORS)
def record_consent(request: HttpRequest, version_id: int, payload: ConsentIn) -> Answer:
    version = _version(request, version_id)
    person = Person.objects.for_org(_org(request)).filter(pk=payload.person_id).first()
    if person is None:
        raise HttpError(422, _("Unknown person."))
    try:
        row = services.record_consent(
            person=person,
            version=version,
            decision=payload.decision,
            how=payload.how,
            told=payload.told,
            by=_member(request),
            http=request,
        )
    except services.NegotiationError as error:
        raise _refused(error) from error
    return Answer(
        201,
        {
            "id": row.pk,
            "person_id": row.person_id,
            "party_id": row.party_id,
            "version_id": row.version_id,
            "decision": row.decision,
            "how": row.how,
            "at": row.at,
        },
    )
