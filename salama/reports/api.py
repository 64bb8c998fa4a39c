"""Reports over the API: generate a situation report on demand (the editions the caller may
generate, as on the reports page), read one's summary, and the organisation's report settings
(as the settings page). The same services as the pages."""

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.lib.apiaccess import api_roles, located, pages
from salama.lib.problems import errors
from salama.reports import services
from salama.reports.models import Edition, Report
from salama.reports.options import options_of
from salama.reports.views import READERS, _visible
from salama.safety.tokens import gated

router = Router(tags=["reports"])


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class SitrepGenerateIn(Schema):
    edition: str


class SitrepOut(Schema):
    id: int
    edition: str
    as_of: datetime
    since: datetime | None
    expires_at: datetime | None


class ReportSettingsIn(Schema):
    sitrep_hour: int
    retention_days: int
    area_detail: str
    facility_names: bool


class ReportSettingsOut(Schema):
    sitrep_hour: int
    retention_days: int
    area_detail: str
    facility_names: bool


def _report_out(report: Report) -> SitrepOut:
    return SitrepOut(
        id=report.pk, edition=report.edition, as_of=report.as_of, since=report.since,
        expires_at=report.expires_at,
    )  # fmt: skip


def _settings_out(org: Organisation) -> ReportSettingsOut:
    current = options_of(org)
    return ReportSettingsOut(
        sitrep_hour=current.sitrep_hour, retention_days=current.retention_days,
        area_detail=current.area_detail, facility_names=current.facility_names,
    )  # fmt: skip


@router.post(
    "/reports",
    response={201: SitrepOut},
    auth=gated(*READERS),
    openapi_extra=pages("reports:generate", created=True),
)
@api_roles(*READERS)
def generate_report(
    request: HttpRequest, response: HttpResponse, payload: SitrepGenerateIn
) -> Answer:
    """Generate a situation report now, of an edition the caller may generate (422 otherwise);
    a lead edition is the calling field lead's own."""
    member = _member(request)
    if payload.edition not in Edition.values or not services.may_generate(member, payload.edition):
        raise HttpError(422, _("Choose an edition you may generate."))
    report = services.generate_report(
        org=_org(request), edition=payload.edition, by=member, request=request,
        lead=member if payload.edition == Edition.LEAD else None,
    )  # fmt: skip
    located(response, f"/reports/{report.pk}")
    return Answer(201, _report_out(report))


@router.get("/reports/settings", response=ReportSettingsOut)
@api_roles(*COORDINATING)
def get_report_settings(request: HttpRequest) -> ReportSettingsOut:
    return _settings_out(_org(request))


@router.put(
    "/reports/settings",
    response=ReportSettingsOut,
    auth=gated(*COORDINATING),
    openapi_extra=pages("reports:settings"),
)
@api_roles(*COORDINATING)
def save_report_settings(request: HttpRequest, payload: ReportSettingsIn) -> ReportSettingsOut:
    """The organisation's report settings: the daily report's hour (-1: none), how long reports
    are kept, how finely partners see places, and whether partners see facility names."""
    org = _org(request)
    try:
        with transaction.atomic():
            services.save_options(org=org, request=request, **payload.model_dump())
    except services.ReportError as error:
        raise HttpError(422, " ".join(error.messages)) from error
    return _settings_out(org)


# After /reports/settings: its URL pattern would otherwise take that path.
@router.get("/reports/{report_id}", response={200: SitrepOut, **errors(404)})
@api_roles(*READERS)
def get_report(request: HttpRequest, report_id: int) -> SitrepOut:
    """A report's summary, if the caller may read it (as its page)."""
    report = _visible(request).defer("content").filter(pk=report_id).first()
    if report is None:
        raise HttpError(404, _("Unknown situation report."))
    return _report_out(report)
