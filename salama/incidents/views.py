"""Incident pages: the verification queue, the list with its map and charts, a report form and
drafts from pasted text, an incident's page (reports, sources, certainty and why, verification,
the facility proposal, versions), a facility's incident history, the exports and the settings.
Every page calls the selectors and services; none holds a rule."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from salama.accounts.access import COORDINATING, roles
from salama.accounts.models import Membership, Organisation, Role
from salama.incidents import chart, drafting, export, selectors, services
from salama.incidents.certainty import suggest
from salama.incidents.forms import DraftForm, ReportForm
from salama.incidents.models import Channel, Incident, Report, Source
from salama.incidents.validation import IncidentError, check_file
from salama.incidents.versions import sealed_of
from salama.incidents.vocabulary import choices, label
from salama.lib.names import local_name, local_value
from salama.people.models import Area, Facility
from salama.safety.views import local_time

REPORTERS = (*COORDINATING, Role.FIELD_LEAD, Role.STAFF, Role.LIAISON)
PUBLISHERS = (*COORDINATING, Role.LIAISON)


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _incident(request: HttpRequest, incident_id: int) -> Incident:
    found = selectors.incident_of(_org(request), incident_id)
    if found is None:
        raise Http404
    return found


def _rows(rows: list[dict[str, Any]], arabic: bool) -> list[dict[str, Any]]:
    for row in rows:
        row["area"] = local_value(row, "area__", "ar" if arabic else "en")
        row["types"] = ", ".join(label("attack_type", t) for t in row["attack_types"])
        row["state_label"] = label("state", row["state"])
        shown = row["certainty"] or row["certainty_suggested"]
        row["certainty_code"] = shown
        row["certainty_label"] = label("certainty", shown)
    return rows


@roles(*COORDINATING)
@local_time
def queue(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    context = {
        "rows": _rows(selectors.queue(org), request.LANGUAGE_CODE == "ar"),
        "reports": selectors.unconsolidated(org),
        "publishes_area": selectors.publishes_area(org),
        "command_on": "attack" in (org.setting("commands", []) or []),
    }
    return render(request, "incidents/queue.html", context)


@roles(*COORDINATING)
@local_time
def incident_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    filters = selectors.Filters.from_query(request.GET)
    arabic = request.LANGUAGE_CODE == "ar"
    monthly = selectors.monthly(org, filters)
    svg = chart.monthly_svg(
        monthly, title=_("Incidents and casualties per month"),
        labels={"incidents": _("Incidents"), "killed": _("Deaths"), "injured": _("Injuries")},
    )  # fmt: skip
    context = {
        "rows": _rows(selectors.timeline(org, filters), arabic),
        "filters": filters,
        "areas": Area.objects.for_org(org).order_by("name_en"),
        "facilities": Facility.objects.for_org(org).order_by("name"),
        "types": choices("attack_type"),
        "certainties": choices("certainty"),
        "states": choices("state"),
        "points": json.dumps(selectors.map_points(org, filters), ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026"),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "chart": mark_safe(svg),  # noqa: S308 (built from numbers and escaped labels)
        "query": request.GET.urlencode(),
    }
    return render(request, "incidents/list.html", context)


@roles(*REPORTERS)
@local_time
def new_report(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = ReportForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["raw_text"]
        try:
            report = services.create_report(
                org=org, data=form.data_for_service(), by=_member(request), request=request,
                channel=Channel.PASTE if raw else Channel.PAGE, raw_text=raw,
            )  # fmt: skip
        except IncidentError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, _("Report %(n)s stored.") % {"n": report.number})
            if _member(request).role in COORDINATING:
                return redirect("incidents:queue")
            return redirect("incidents:new_report")
    return render(request, "incidents/report_form.html", {"form": form})


def _highlighted(text: str, found: drafting.Draft) -> str:
    """The text with each finding marked (escaped; overlapping findings: the first wins)."""
    from html import escape

    out, at = [], 0
    for finding in found.findings:
        if finding.start < at:
            continue
        out.append(escape(text[at : finding.start]))
        out.append(
            f'<mark class="finding finding-{finding.field}" title="{escape(finding.field)}">'
            f"{escape(text[finding.start : finding.end])}</mark>"
        )
        at = finding.end
    out.append(escape(text[at:]))
    return "".join(out)


@roles(*COORDINATING)
@local_time
def draft_from_text(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = DraftForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"] or ""
        upload = form.cleaned_data["file"]
        try:
            if upload is not None:
                check_file(upload.size)
                text = upload.read().decode("utf-8", errors="replace")
            check_file(len(text.encode()))
        except IncidentError as error:
            form.add_error(None, " ".join(error.messages))
            return render(request, "incidents/draft.html", {"form": form})
        words = (org.setting("incident_words") or {}).get("add", {})
        found = drafting.draft(text, areas=list(Area.objects.for_org(org)), extra_phrases=words)
        victims = {"killed_total": found.killed, "injured_total": found.injured}
        initial = {
            "occurred_on": found.occurred_on, "area": found.area,
            "attack_types": found.attack_types, "raw_text": text, "narrative": "", **victims,
        }  # fmt: skip
        report_form = ReportForm(initial=initial, org=org)
        context = {"form": report_form, "marked": mark_safe(_highlighted(text, found))}  # noqa: S308
        return render(request, "incidents/report_form.html", context)
    return render(request, "incidents/draft.html", {"form": form})


@roles(*COORDINATING)
def consolidate(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("incidents:queue")
    org = _org(request)
    ids = [int(i) for i in request.POST.getlist("report") if i.isdigit() and len(i) < 12]
    reports = list(Report.objects.for_org(org).filter(pk__in=ids))
    into = None
    if request.POST.get("into", "").isdigit() and len(request.POST["into"]) < 12:
        into = Incident.objects.for_org(org).filter(number=int(request.POST["into"])).first()
        if into is None:
            messages.error(request, _("Unknown incident."))
            return redirect("incidents:queue")
    try:
        incident = services.consolidate_reports(
            reports=reports, by=_member(request), into=into, request=request
        )
    except IncidentError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("incidents:queue")
    return redirect("incidents:detail", incident_id=incident.pk)


@roles(*COORDINATING)
@local_time
def detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    sources = list(incident.sources.order_by("added_at"))
    why = suggest([s.kind for s in sources], own_staff_attacked=incident.own_staff_attacked)
    versions = list(incident.versions.select_related("actor__user").order_by("-number"))
    context = {
        "incident": incident,
        "state_label": label("state", incident.state),
        "types": [label("attack_type", t) for t in incident.attack_types],
        "resources": [
            (label("resource", k), label("tri", a)) for k, a in incident.resources.items()
        ],
        "reports": list(incident.reports.order_by("received_at")),
        "sources": [(s, label("source_kind", s.kind)) for s in sources],
        "source_kinds": choices("source_kind"),
        "suggested": label("certainty", why.certainty),
        "reasons": why.reasons,
        "certainty_label": label("certainty", incident.certainty) if incident.certainty else "",
        "certainties": choices("certainty"),
        "moves": [(to, label("state", to)) for to in sorted(services_moves(incident.state))],
        "proposal": selectors.open_proposal(incident),
        "functionalities": choices("functionality"),
        "versions": [(v, sealed_of(v)) for v in versions],
        "damage_label": label("damage", incident.damage),
        "functionality_label": label("functionality", incident.functionality),
    }
    return render(request, "incidents/detail.html", context)


def services_moves(state: str) -> frozenset[str]:
    from salama.incidents.verification import MOVES

    return MOVES.get(state, frozenset())


def _initial(incident: Incident) -> dict[str, Any]:
    from salama.incidents.models import VICTIM_FIELDS

    initial: dict[str, Any] = {
        name: getattr(incident, name)
        for name in (
            "occurred_on", "occurred_time", "area", "location", "attack_types", "facility",
            "facility_type", "affiliation", "damage", "functionality", "targeted",
            "impact_kind", "narrative", "impact_text", "follow_up", "perpetrator",
            *VICTIM_FIELDS,
        )
    }  # fmt: skip
    initial.update({f"resource_{k}": a for k, a in incident.resources.items()})
    return initial


@roles(*COORDINATING)
@local_time
def edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    """A coordinator's correction of what the incident says (its reports keep their own)."""
    incident = _incident(request, incident_id)
    form = ReportForm(request.POST or None, initial=_initial(incident), org=_org(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_incident(
                incident=incident, data=form.data_for_service(), by=_member(request),
                request=request,
            )  # fmt: skip
        except IncidentError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, _("The incident was corrected."))
            return redirect("incidents:detail", incident_id=incident.pk)
    action = reverse("incidents:edit", kwargs={"incident_id": incident.pk})
    return render(request, "incidents/report_form.html", {"form": form, "action": action})


@roles(*COORDINATING)
def add_source(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    if request.method == "POST":
        try:
            services.add_source(
                incident=incident, kind=request.POST.get("kind", ""), by=_member(request),
                note=request.POST.get("note", ""), request=request,
            )  # fmt: skip
        except IncidentError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("incidents:detail", incident_id=incident.pk)


@roles(*COORDINATING)
def remove_source(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    value = request.POST.get("source", "")
    source = (
        Source.objects.for_org(incident.org).filter(incident=incident, pk=int(value)).first()
        if value.isdigit() and len(value) < 12 and request.method == "POST"
        else None
    )
    if source is not None:
        services.remove_source(source=source, by=_member(request), request=request)
    return redirect("incidents:detail", incident_id=incident.pk)


@roles(*COORDINATING)
def move(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    if request.method != "POST":
        return redirect("incidents:detail", incident_id=incident.pk)
    original = None
    number = request.POST.get("duplicate_of", "")
    if number.isdigit() and len(number) < 12:
        original = Incident.objects.for_org(_org(request)).filter(number=int(number)).first()
    try:
        services.move(
            incident=incident, to=request.POST.get("to", ""), by=_member(request),
            certainty=request.POST.get("certainty", ""), reason=request.POST.get("reason", ""),
            duplicate_of=original, request=request,
        )  # fmt: skip
    except IncidentError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The incident's state was changed."))
    return redirect("incidents:detail", incident_id=incident.pk)


@roles(*COORDINATING)
def proposal(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident(request, incident_id)
    found = selectors.open_proposal(incident)
    if request.method == "POST" and found is not None:
        try:
            if request.POST.get("decision") == "dismiss":
                services.dismiss_update(proposal=found, by=_member(request), request=request)
            else:
                services.accept_update(
                    proposal=found, by=_member(request), request=request,
                    functionality=request.POST.get("functionality") or None,
                    condition=request.POST.get("condition"),
                )  # fmt: skip
                messages.success(request, _("The facility's status was updated."))
        except IncidentError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("incidents:detail", incident_id=incident.pk)


@roles(*COORDINATING)
@local_time
def facility_history(request: HttpRequest, facility_id: int) -> HttpResponse:
    facility = Facility.objects.for_org(_org(request)).filter(pk=facility_id).first()
    if facility is None:
        raise Http404
    rows = _rows(
        selectors.facility_history(_org(request), facility.pk), request.LANGUAGE_CODE == "ar"
    )
    arabic = request.LANGUAGE_CODE == "ar"
    name = local_name(facility, "ar" if arabic else "en")
    return render(request, "incidents/facility.html", {"name": name, "rows": rows})


@roles(*COORDINATING)
def save_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        org, by = _org(request), _member(request)
        services.set_publish_area(org=org, on=request.POST.get("publish_area") == "on", by=by,
                                  request=request)  # fmt: skip
        services.set_attack_command(org=org, on=request.POST.get("attack_command") == "on",
                                    by=by, request=request)  # fmt: skip
        messages.success(request, _("The settings were saved."))
    return redirect("incidents:queue")


def _csv(lines: Any, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _public(request: HttpRequest, tagged: bool) -> StreamingHttpResponse:
    org = _org(request)
    lines = export.csv_lines(export.public_columns(org), export.public_records(org), tagged=tagged)
    return _csv(lines, "incidents-public.csv" if tagged else "incidents-public-plain.csv")


def _internal(request: HttpRequest, tagged: bool) -> StreamingHttpResponse:
    org = _org(request)
    records = export.internal_records(org, selectors.Filters.from_query(request.GET))
    lines = export.csv_lines(export.internal_columns(), records, tagged=tagged)
    return _csv(lines, "incidents-internal.csv" if tagged else "incidents-internal-plain.csv")


@roles(*PUBLISHERS)
def export_public(request: HttpRequest) -> Any:  # a StreamingHttpResponse
    return _public(request, tagged=True)


@roles(*PUBLISHERS)
def export_public_plain(request: HttpRequest) -> Any:  # a StreamingHttpResponse
    return _public(request, tagged=False)


@roles(*COORDINATING)
def export_internal(request: HttpRequest) -> Any:  # a StreamingHttpResponse
    return _internal(request, tagged=True)


@roles(*COORDINATING)
def export_internal_plain(request: HttpRequest) -> Any:  # a StreamingHttpResponse
    return _internal(request, tagged=False)


@roles(*COORDINATING)
def export_geojson(request: HttpRequest) -> HttpResponse:
    filters = selectors.Filters.from_query(request.GET)
    text = export.geojson_text(_org(request), filters)
    return HttpResponse(text, content_type="application/geo+json; charset=utf-8")
