"""Report pages: the list and on-demand generation, one report (HTML in the page, PDF in
either language), exports, the organisation's report settings, partner tokens, and the CAP feed
(behind a partner token). Every page calls the services and selectors; none holds a rule."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, ORG_ADMIN_ONLY, public, roles
from salama.accounts.models import Membership, Organisation, Role
from salama.reports import cap, exports, services
from salama.reports import render as drawing
from salama.reports.forms import GenerateForm, OptionsForm, TokenForm
from salama.reports.models import Edition, PartnerToken, Report
from salama.reports.options import options_of
from salama.safety.views import local_time

READERS = (*COORDINATING, Role.FIELD_LEAD, Role.OBSERVER, Role.LIAISON)
LIST_SIZE = 30


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _allowed(member: Membership) -> tuple[str, ...]:
    return tuple(e for e in Edition.values if services.may_generate(member, e))


def _visible(request: HttpRequest) -> Any:
    """Coordinators read every edition; everyone else the partner edition, and a field lead
    also the lead editions made for them."""
    member = _member(request)
    rows = Report.objects.for_org(_org(request))
    if member.role in COORDINATING:
        return rows
    mine = Q(edition=Edition.LEAD, lead=member) if member.role == Role.FIELD_LEAD else Q(pk=None)
    return rows.filter(Q(edition=Edition.PARTNER) | mine)


def _report(request: HttpRequest, report_id: int) -> Report:
    report = _visible(request).select_related("org").filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


@roles(*READERS)
@local_time
def index(request: HttpRequest) -> HttpResponse:
    allowed = _allowed(_member(request))
    context = {
        "reports": _visible(request).defer("content")[:LIST_SIZE],
        "form": GenerateForm(allowed=allowed),
        "may_export": _member(request).role in COORDINATING or bool(allowed),
        "is_coordinating": _member(request).role in COORDINATING,
    }
    return render(request, "reports/index.html", context)


@roles(*READERS)
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    form = GenerateForm(request.POST, allowed=_allowed(member))
    if not form.is_valid():
        messages.error(request, _("Choose an edition you may generate."))
        return redirect("reports:index")
    edition = form.cleaned_data["edition"]
    report = services.generate_report(
        org=_org(request), edition=edition, by=member, request=request,
        lead=member if edition == Edition.LEAD else None,
    )  # fmt: skip
    return redirect("reports:detail", report_id=report.pk)


@roles(*READERS)
@local_time
def detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    lang = "ar" if request.LANGUAGE_CODE == "ar" else "en"
    body = drawing.render_html(report, lang, standalone=False)
    services.record_download(
        report=report, fmt="page", lang=lang, by=_member(request), request=request
    )
    context = {"report": report, "body": mark_safe(body)}  # noqa: S308 - our own template
    return render(request, "reports/detail.html", context)


@roles(*READERS)
def pdf(request: HttpRequest, report_id: int, report_lang: str) -> HttpResponse:
    report = _report(request, report_id)
    lang = report_lang
    if lang not in drawing.LANGUAGES:
        raise Http404
    body = drawing.render_pdf(report, lang)
    services.record_download(
        report=report, fmt="pdf", lang=lang, by=_member(request), request=request
    )
    response = HttpResponse(body, content_type="application/pdf")
    name = f"sitrep-{report.as_of:%Y%m%d}-{report.edition}-{lang}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


EXPORT_READERS = (*COORDINATING, Role.OBSERVER, Role.LIAISON)


def _export_form(request: HttpRequest) -> str:
    """Coordinators choose; observers and liaisons get the public form only."""
    asked = request.GET.get("form", "public")
    if _member(request).role not in COORDINATING:
        return "public"
    return asked if asked in exports.FORMS else "public"


@roles(*EXPORT_READERS)
def export_list(request: HttpRequest) -> HttpResponse:
    context = {
        "exports": list(exports.EXPORTS),
        "forms": exports.FORMS if _member(request).role in COORDINATING else ("public",),
    }
    return render(request, "reports/exports.html", context)


@roles(*EXPORT_READERS)  # type: ignore[arg-type]  # a streamed answer for CSV
def export(request: HttpRequest) -> HttpResponseBase:
    """?name=roster|checkins|facilities&format=csv|xlsx&form=public|internal"""
    name, fmt = request.GET.get("name", "roster"), request.GET.get("format", "csv")
    if name not in exports.EXPORTS or fmt not in ("csv", "xlsx"):
        raise Http404
    form = _export_form(request)
    columns, rows = exports.table(_org(request), name, form)
    services.record_export(
        org=_org(request), name=name, fmt=fmt, form=form, by=_member(request), request=request
    )
    filename = f"salama-{name}-{form}.{fmt}"
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            (chunk.encode("utf-8") for chunk in exports.csv_chunks(columns, rows)),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = FileResponse(
            exports.xlsx_file(columns, rows, name),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@roles(*COORDINATING)
def settings_page(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    current = options_of(org)
    initial = {
        "sitrep_hour": current.sitrep_hour, "retention_days": current.retention_days,
        "area_detail": current.area_detail, "facility_names": current.facility_names,
    }  # fmt: skip
    form = OptionsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_options(org=org, request=request, **form.cleaned_data)
        except services.ReportError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The report settings were saved."))
            return redirect("reports:settings")
    return render(request, "reports/settings.html", {"form": form})


@roles(*ORG_ADMIN_ONLY)
@local_time
def tokens(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = TokenForm(request.POST or None)
    raw = ""
    if request.method == "POST" and "revoke" in request.POST:
        token = PartnerToken.objects.for_org(org).filter(pk=request.POST.get("revoke")).first()
        if token is not None:
            services.revoke_partner_token(token=token, request=request)
            messages.success(request, _("The partner token was revoked."))
        return redirect("reports:tokens")
    if request.method == "POST" and form.is_valid():
        try:
            _token, raw = services.create_partner_token(
                org=org, name=form.cleaned_data["name"], by=_member(request), request=request
            )
        except services.ReportError as error:
            for message in error.messages:
                form.add_error(None, message)
    context = {
        "form": form, "raw": raw,
        "tokens": PartnerToken.objects.for_org(org).order_by("-created_at"),
    }  # fmt: skip
    return render(request, "reports/tokens.html", context)


@public
def cap_feed(request: HttpRequest) -> HttpResponse:
    """The CAP feed, for a partner's reader with its token (Authorization: Bearer ...). Without
    a valid token: an empty 404, the same as for a page that does not exist."""
    header = request.headers.get("Authorization", "")
    raw = header[7:].strip() if header.lower().startswith("bearer ") else ""
    token = services.use_partner_token(raw)
    if token is None:
        return HttpResponse(status=404)
    services.record_feed(token=token, request=request)
    body = cap.feed_xml(token.org)
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


@roles(*READERS)
@local_time
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """Coordinators see the internal map; field leads, observers and liaisons the partner one
    (counts only, places no finer than the organisation allows: reports/dashboard.py)."""
    from django.conf import settings

    from salama.reports import dashboard
    from salama.reports.labels import labels

    internal = _member(request).role in COORDINATING
    found = dashboard.dashboard(_org(request), internal=internal)
    keys = ("areas", "facilities", "days", "incidents", "movements")
    L = labels()
    context = {
        "internal": internal,
        "summary": found["summary"],
        "heard_line": f"{found['summary'].heard_since} / {found['summary'].total}",
        "facility_counts": found["facility_counts"],
        "incident_totals": found["incidents"]["totals"],
        "movement_totals": found["movements"]["totals"],
        "data": {k: found[k] for k in keys},
        "layers": {
            "areas": _("Areas"),
            "facilities": _("Facilities"),
            "incidents": _("Incidents on health care"),
            "movements": _("Movements in progress"),
            "verified": _("verified"),
            "reported": _("reported, not yet verified"),
            "killed": _("killed"),
            "injured": _("injured"),
            "movement_count": _("movements"),
            "people": _("people aboard"),
            "unknown_area": _("area not set"),
            "statuses": L["movements"],
        },
        "last_day": len(found["days"]) - 1,
        "L": L,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    return render(request, "reports/dashboard.html", context)
