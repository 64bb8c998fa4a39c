"""Attacks on health care over JSON: partner reports, incidents (list, one, consolidate),
sources, verification, drafts from text and the exports. Org-scoped, role-checked; the same
services as the pages and the text command. Codes only; free text only where a coordinator
reads one incident."""

from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation, Role
from salama.incidents import drafting, export, selectors, services
from salama.incidents.models import Channel, Incident, Report
from salama.incidents.validation import IncidentError, ReportData, check_file
from salama.lib.apiaccess import api_roles, pages
from salama.lib.problems import errors
from salama.people.models import Area, Facility
from salama.safety.tokens import gated

router = Router(tags=["incidents"])
REPORTERS = (*COORDINATING, Role.FIELD_LEAD, Role.STAFF, Role.LIAISON)
PUBLISHERS = (*COORDINATING, Role.LIAISON)
ID = Field(None, ge=1, le=2**63 - 1)


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class ReportIn(Schema):
    occurred_on: date | None = None
    occurred_time: time | None = None
    area_id: int | None = ID
    location: str = ""
    attack_types: list[str] = []
    resources: dict[str, str] = {}
    facility_id: int | None = ID
    facility_type: str = ""
    affiliation: str = ""
    damage: str = "unknown"
    functionality: str = "unknown"
    victims: dict[str, int | None] = {}
    targeted: str = "unknown"
    impact_kind: str = "unknown"
    narrative: str = ""
    impact_text: str = ""
    follow_up: str = ""
    perpetrator: str = ""
    raw_text: str = ""


class ReportOut(Schema):
    id: int
    number: int
    channel: str
    occurred_on: date
    area_id: int
    attack_types: list[str]
    killed_total: int | None
    injured_total: int | None
    incident_id: int | None
    detail: str = ""


class IncidentRow(Schema):
    id: int
    number: int
    state: str
    occurred_on: date
    occurred_time: time | None
    area_id: int
    attack_types: list[str]
    certainty: str
    certainty_suggested: str
    killed_total: int | None
    injured_total: int | None
    facility_id: int | None
    created_at: datetime


class IncidentOut(IncidentRow):
    resources: dict[str, str]
    damage: str
    functionality: str
    reports: list[int]
    sources: list[str]
    versions: int
    duplicate_of: int | None
    narrative: str
    reasons: list[str]


class ListQuery(Schema):
    type: str = ""
    area: int | None = ID
    facility: int | None = ID
    certainty: str = ""
    state: str = ""
    since: date | None = None
    until: date | None = None
    limit: int = Field(100, ge=1, le=1000)


class ConsolidateIn(Schema):
    reports: list[int] = Field(..., max_length=100)
    into: int | None = ID  # an incident's number


class SourceIn(Schema):
    kind: str = ""  # checked by the service (after the incident is found: 404 before 422)
    note: str = ""


class MoveIn(Schema):
    to: str = ""
    certainty: str = ""
    reason: str = ""
    duplicate_of: int | None = ID  # an incident's number


class DraftIn(Schema):
    text: str


class DraftOut(Schema):
    date: date | None
    area: str | None
    area_id: int | None
    attack_types: list[str]
    killed: int | None
    injured: int | None
    findings: list[dict[str, Any]]


def _data(org: Organisation, payload: ReportIn) -> ReportData:
    area = Area.objects.for_org(org).filter(pk=payload.area_id).first() if payload.area_id else None
    facility = None
    if payload.facility_id:
        facility = Facility.objects.for_org(org).filter(pk=payload.facility_id).first()
        if facility is None:
            raise HttpError(422, _("Unknown facility."))
    fields = payload.model_dump(exclude={"area_id", "facility_id", "raw_text"})
    return ReportData(area=area, facility=facility, **fields)


def _report_out(report: Report, detail: str = "") -> dict[str, Any]:
    return {
        "id": report.pk, "number": report.number, "channel": report.channel,
        "occurred_on": report.occurred_on, "area_id": report.area_id,
        "attack_types": report.attack_types, "killed_total": report.killed_total,
        "injured_total": report.injured_total, "incident_id": report.incident_id,
        "detail": detail,
    }  # fmt: skip


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    found = selectors.incident_of(_org(request), incident_id)
    if found is None:
        raise HttpError(404, _("Unknown incident."))
    return found


def _incident_out(incident: Incident) -> dict[str, Any]:
    from salama.incidents.certainty import suggest

    kinds = sorted(incident.sources.values_list("kind", flat=True))
    return {
        **{name: getattr(incident, name) for name in IncidentRow.model_fields},
        "resources": incident.resources, "damage": incident.damage,
        "functionality": incident.functionality,
        "reports": sorted(incident.reports.values_list("number", flat=True)),
        "sources": kinds, "versions": incident.version,
        "duplicate_of": incident.duplicate_of.number if incident.duplicate_of else None,
        "narrative": str(incident.narrative or ""),
        "reasons": suggest(kinds, own_staff_attacked=incident.own_staff_attacked).reasons,
    }  # fmt: skip


@router.post(
    "/incident-reports",
    response={201: ReportOut},
    auth=gated(*REPORTERS),
    openapi_extra=pages("incidents:new_report"),
)
@api_roles(*REPORTERS)
def create_report(request: HttpRequest, payload: ReportIn) -> Answer:
    """Store a partner report; bad input is 422 with a translated reason and nothing stored."""
    org = _org(request)
    try:
        check_file(len(payload.raw_text.encode()))
        report = services.create_report(
            org=org, data=_data(org, payload), by=_member(request), request=request,
            channel=Channel.API, raw_text=payload.raw_text,
        )  # fmt: skip
    except IncidentError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return Answer(201, _report_out(report, _("Report %(n)s stored.") % {"n": report.number}))


@router.get("/incident-reports", response=list[ReportOut])
@api_roles(*COORDINATING)
def list_reports(request: HttpRequest) -> list[dict[str, Any]]:
    """Partner reports not yet consolidated into an incident (newest first)."""
    return [_report_out(r) for r in selectors.unconsolidated(_org(request))]


@router.post(
    "/incident-drafts",
    response=DraftOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("incidents:draft"),
)
@api_roles(*COORDINATING)
def draft(request: HttpRequest, payload: DraftIn) -> dict[str, Any]:
    """A proposed draft from text, with the span of each finding; nothing is stored."""
    try:
        check_file(len(payload.text.encode()))
    except IncidentError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    org = _org(request)
    words = (org.setting("incident_words") or {}).get("add", {})
    found = drafting.draft(payload.text, areas=list(Area.objects.for_org(org)), extra_phrases=words)
    area: Any = found.area
    return {
        "date": found.occurred_on, "area": area.name_en if area else None,
        "area_id": area.pk if area else None, "attack_types": found.attack_types,
        "killed": found.killed, "injured": found.injured,
        "findings": [{"field": f.field, "start": f.start, "end": f.end} for f in found.findings],
    }  # fmt: skip


@router.get("/incidents/export/public.csv", response={200: None})
@api_roles(*PUBLISHERS)
def export_public(request: HttpRequest, tagged: bool = True) -> StreamingHttpResponse:
    """The public edition (HXL tags on the second row unless ``tagged=false``)."""
    org = _org(request)
    lines = export.csv_lines(export.public_columns(org), export.public_records(org), tagged=tagged)
    return StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")


@router.get("/incidents/export/internal.csv", response={200: None})
@api_roles(*COORDINATING)
def export_internal(request: HttpRequest, tagged: bool = True) -> StreamingHttpResponse:
    records = export.internal_records(_org(request), selectors.Filters())
    lines = export.csv_lines(export.internal_columns(), records, tagged=tagged)
    return StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")


@router.get("/incidents/export/incidents.geojson", response={200: None})
@api_roles(*COORDINATING)
def export_geojson(request: HttpRequest) -> HttpResponse:
    text = export.geojson_text(_org(request), selectors.Filters())
    return HttpResponse(text, content_type="application/geo+json; charset=utf-8")


@router.get("/incidents", response=list[IncidentRow])
@api_roles(*COORDINATING)
def list_incidents(request: HttpRequest, query: Query[ListQuery]) -> list[dict[str, Any]]:
    """Incidents, newest first, with the filters of the pages."""
    filters = selectors.Filters.from_query(query.model_dump())
    return selectors.timeline(_org(request), filters, limit=query.limit)


@router.get("/incidents/queue", response=list[IncidentRow])
@api_roles(*COORDINATING)
def verification_queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Open incidents: drafts and rumours first, then the oldest."""
    return selectors.queue(_org(request))


# Before /incidents/{incident_id}: that path's pattern would otherwise take this one.


class IncidentSettingsIn(Schema):
    publish_area: bool
    attack_command: bool


class IncidentSettingsOut(Schema):
    publish_area: bool
    attack_command: bool


@router.put(
    "/incidents/settings",
    response=IncidentSettingsOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("incidents:settings"),
)
@api_roles(*COORDINATING)
def save_incident_settings(request: HttpRequest, payload: IncidentSettingsIn) -> dict[str, bool]:
    """Whether the public export names each incident's area, and whether the attack text command
    is on: the organisation's incident settings, as on the queue page."""
    org, by = _org(request), _member(request)
    try:
        with transaction.atomic():
            services.set_publish_area(org=org, on=payload.publish_area, by=by, request=request)
            services.set_attack_command(org=org, on=payload.attack_command, by=by, request=request)
    except IncidentError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return {"publish_area": payload.publish_area, "attack_command": payload.attack_command}


@router.get("/incidents/{incident_id}", response=IncidentOut)
@api_roles(*COORDINATING)
def get_incident(request: HttpRequest, incident_id: int) -> dict[str, Any]:
    return _incident_out(_incident(request, incident_id))


# 404: the incident `into` names is not one of the organisation's.
@router.post(
    "/incidents",
    response={201: IncidentOut, **errors(404)},
    auth=gated(*COORDINATING),
    openapi_extra=pages("incidents:consolidate"),
)
@api_roles(*COORDINATING)
def consolidate(request: HttpRequest, payload: ConsolidateIn) -> Answer:
    """Consolidate partner reports (ids) into a new incident, or into incident ``into``."""
    org = _org(request)
    reports = list(Report.objects.for_org(org).filter(pk__in=payload.reports))
    into = None
    if payload.into is not None:
        into = Incident.objects.for_org(org).filter(number=payload.into).first()
        if into is None:
            raise HttpError(404, _("Unknown incident."))
    if len(reports) != len(set(payload.reports)):
        raise HttpError(422, _("Unknown report."))
    try:
        incident = services.consolidate_reports(
            reports=reports, by=_member(request), into=into, request=request
        )
    except IncidentError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return Answer(201, _incident_out(incident))


@router.post(
    "/incidents/{incident_id}/sources",
    response={201: IncidentOut},
    auth=gated(*COORDINATING),
    openapi_extra=pages("incidents:add_source"),
)
@api_roles(*COORDINATING)
def add_source(request: HttpRequest, incident_id: int, payload: SourceIn) -> Answer:
    incident = _incident(request, incident_id)
    try:
        services.add_source(
            incident=incident, kind=payload.kind, note=payload.note, by=_member(request),
            request=request,
        )  # fmt: skip
    except IncidentError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return Answer(201, _incident_out(_incident(request, incident_id)))


@router.post(
    "/incidents/{incident_id}/verification",
    response=IncidentOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("incidents:move"),
)
@api_roles(*COORDINATING)
def verify(request: HttpRequest, incident_id: int, payload: MoveIn) -> dict[str, Any]:
    """Move the incident (draft → under_review → verified | unverifiable | duplicate |
    withdrawn); another certainty than the suggested one needs a reason."""
    incident = _incident(request, incident_id)
    original = None
    if payload.duplicate_of is not None:
        original = (
            Incident.objects.for_org(_org(request)).filter(number=payload.duplicate_of).first()
        )
    try:
        services.move(
            incident=incident, to=payload.to, by=_member(request), certainty=payload.certainty,
            reason=payload.reason, duplicate_of=original, request=request,
        )  # fmt: skip
    except IncidentError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return _incident_out(_incident(request, incident_id))


class EditIn(ReportIn):
    own_staff_attacked: bool | None = None


@router.put(
    "/incidents/{incident_id}",
    response=IncidentOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("incidents:edit"),
)
@api_roles(*COORDINATING)
def edit(request: HttpRequest, incident_id: int, payload: EditIn) -> dict[str, Any]:
    """Replace what the incident says (a coordinator's correction after consolidation); the
    reports keep their own numbers; a new version is stored."""
    incident = _incident(request, incident_id)
    org = _org(request)
    data = _data(org, ReportIn(**payload.model_dump(exclude={"own_staff_attacked"})))
    try:
        services.edit_incident(
            incident=incident, data=data, by=_member(request), request=request,
            own_staff_attacked=payload.own_staff_attacked,
        )  # fmt: skip
    except IncidentError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return _incident_out(_incident(request, incident_id))


class WordsIn(Schema):
    words: dict[str, str] = Field(default_factory=dict, max_length=500)  # phrase -> type code


@router.put("/incident-draft-words", response={200: dict[str, Any]}, auth=gated(*COORDINATING))
@api_roles(*COORDINATING)
def save_words(request: HttpRequest, payload: WordsIn) -> dict[str, Any]:
    """The organisation's own phrases for drafts from text (added to the built-in ones)."""
    try:
        services.save_draft_words(
            org=_org(request), words=payload.words, by=_member(request), request=request
        )
    except IncidentError as error:
        raise HttpError(
            422, _("Unknown attack type or empty phrase: %(p)s") % {"p": error.messages[0]}
        ) from error
    return {"words": payload.words}
