"""Negotiations pages (coordinators and liaisons only): parties, the negotiation log, the
packages with their versions, approvals, consent and export, a movement's timeline. Every page
calls the selectors and services; none holds a rule."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import require_recent_second_factor, roles
from salama.accounts.models import Membership, Organisation
from salama.evacuation import selectors as evac_selectors
from salama.negotiations import selectors, services
from salama.negotiations.base import APPROVERS, NEGOTIATORS
from salama.negotiations.forms import (
    FIELD_LABELS,
    ConsentForm,
    ContentForm,
    InteractionForm,
    NamedForm,
    PackageForm,
    PartyForm,
    SubmissionForm,
)
from salama.negotiations.models import Package, PackageVersion, PartyKind
from salama.people.models import Person, PersonRole
from salama.safety.views import FIELD_ROLES, linked_person, local_time


def org_of(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def member_of(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _error(request: HttpRequest, error: services.NegotiationError) -> None:
    messages.error(request, " ".join(error.messages))


@roles(*NEGOTIATORS)
@local_time
def parties(request: HttpRequest) -> HttpResponse:
    form = PartyForm(request.POST or None, org=org_of(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_party(
                org=org_of(request), by=member_of(request), http=request, **form.cleaned_data
            )
        except services.NegotiationError as error:
            form.add_error(None, error)
        else:
            return redirect("negotiations:parties")
    return render(
        request,
        "negotiations/parties.html",
        {"parties": selectors.parties(org_of(request)), "form": form},
        status=400 if form.errors else 200,
    )


@roles(*NEGOTIATORS)
@local_time
def interactions(request: HttpRequest) -> HttpResponse:
    org = org_of(request)
    form = InteractionForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        party = d.pop("party")
        data = services.InteractionInput(
            at=d["at"],
            channel=d["channel"],
            participants=d["participants"],
            asked=d["asked"],
            promised=d["promised"],
            next_step=d["next_step"],
            next_due=d["next_due"],
            outcome=d["outcome"],
            outcome_note=d["outcome_note"],
            movements=list(d["movements"]),
            requests=list(d["requests"]),
        )
        try:
            services.log_interaction(party=party, data=data, by=member_of(request), http=request)
        except services.NegotiationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Interaction logged."))
            return redirect("negotiations:interactions")
    return render(
        request,
        "negotiations/interactions.html",
        {
            "rows": selectors.interactions(org).prefetch_related("movements", "requests")[:200],
            "due": selectors.due_next_steps(org),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@roles(*NEGOTIATORS)
@require_POST
def next_done(request: HttpRequest, interaction_id: int) -> HttpResponse:
    row = selectors.interaction_of(org_of(request), interaction_id)
    if row is None:
        raise Http404
    services.close_next_step(interaction=row, by=member_of(request), http=request)
    return redirect("negotiations:interactions")


@roles(*NEGOTIATORS)
@local_time
def packages(request: HttpRequest) -> HttpResponse:
    org = org_of(request)
    form = PackageForm(request.POST or None, org=org)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = services.draft_from(d["movement"])
        data.channel = d["channel"]
        try:
            version = services.create_package(
                movement=d["movement"],
                party=d["party"],
                data=data,
                by=member_of(request),
                emergency=d["emergency"],
                http=request,
            )
        except services.NegotiationError as error:
            form.add_error(None, error)
        else:
            return redirect("negotiations:package", package_id=version.package_id)
    rows = [(p, services.current(p)) for p in selectors.packages(org)[:100]]
    return render(
        request,
        "negotiations/packages.html",
        {"rows": rows, "form": form},
        status=400 if form.errors else 200,
    )


def _package_or_404(request: HttpRequest, package_id: int) -> Package:
    package = selectors.package_of(org_of(request), package_id)
    if package is None:
        raise Http404
    return package


def _content_initial(version: PackageVersion) -> dict[str, Any]:
    data = services.input_of(version)
    first = data.vehicles[0] if data.vehicles else None
    return {
        "window_start": data.window_start,
        "window_end": data.window_end,
        "route": "\n".join(data.route),
        "assembly_point": data.assembly_point,
        "destination": data.destination,
        "vehicle_kind": first.kind if first else "bus",
        "vehicle_count": sum(v.count for v in data.vehicles) or 1,
        "marking": first.marking if first else "",
        "plates": "\n".join(data.plates),
        "people": data.people,
        "channel": data.channel,
    }


@roles(*NEGOTIATORS)
@local_time
def package_detail(request: HttpRequest, package_id: int) -> HttpResponse:
    package = _package_or_404(request, package_id)
    version = services.current(package)
    if version is None:
        raise Http404
    org = org_of(request)
    named_ids = [pid for pid, _f in version.named]
    people = Person.objects.for_org(org).filter(pk__in=named_ids)
    content = services.content_of(version)
    named = [
        {
            "person": next((p for p in people if p.pk == pid), None),
            "fields": [FIELD_LABELS.get(f, f) for f in fields],
            "consent": services.consent_holds(pid, version, package.party_id),
        }
        for pid, fields in version.named
    ]
    approvals = list(version.approvals.select_related("by__user").order_by("at"))
    context = {
        "package": package,
        "version": version,
        "content": content,
        "named": named,
        "approvals": approvals,
        "approved": services.is_approved(version),
        "may_approve": member_of(request).role in APPROVERS
        and not any(a.by.user_id == request.user.pk for a in approvals),
        "warning": services.lead_warning(package),
        "versions": package.versions.order_by("-number"),
        "consents": selectors.consents(version)[:50],
        "content_form": ContentForm(initial=_content_initial(version)),
        "named_form": NamedForm(org=org),
        "consent_form": ConsentForm(people=people),
        "submission_form": SubmissionForm(),
    }
    return render(request, "negotiations/package.html", context)


def _revise(request: HttpRequest, package: Package, version: PackageVersion) -> None:
    data = services.input_of(version)
    if request.POST.get("form") == "named":
        form: Any = NamedForm(request.POST, org=org_of(request))
        if not form.is_valid():
            messages.error(request, _("Choose a person and which of their details go on it."))
            return
        d = form.cleaned_data
        values = {k: d[k] for k in ("id_number", "medical") if d[k]}
        data.named = [n for n in data.named if n.person.pk != d["person"].pk]
        data.named.append(services.Named(d["person"], tuple(d["fields_shared"]), values))
    elif request.POST.get("form") == "counts_only":
        data.named = []
        data.plates = []
    else:
        form = ContentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Check the notice's fields."))
            return
        d = form.cleaned_data
        data.window_start = d["window_start"]
        data.window_end = d["window_end"]
        data.route = [line.strip() for line in d["route"].splitlines() if line.strip()]
        data.assembly_point = d["assembly_point"]
        data.destination = d["destination"]
        data.vehicles = [services.VehicleLine(d["vehicle_kind"], d["vehicle_count"], d["marking"])]
        data.plates = [line.strip() for line in d["plates"].splitlines() if line.strip()]
        data.people = d["people"]
        data.channel = d["channel"]
    new = services.revise(package=package, data=data, by=member_of(request), http=request)
    messages.success(
        request,
        _("Version %(n)s made; earlier approvals are void.") % {"n": new.number},
    )


@roles(*NEGOTIATORS)
@require_recent_second_factor
@require_POST
@local_time
def package_action(request: HttpRequest, package_id: int, action: str) -> HttpResponse:
    package = _package_or_404(request, package_id)
    asked = request.POST.get("version", "")
    if asked.isdigit():
        # The exact version the user saw: approving a replaced one is refused, never redirected.
        version = selectors.version_of(org_of(request), int(asked))
        if version is None or version.package_id != package.pk:
            raise Http404
    elif action == "approve":
        messages.error(request, _("Say which version you approve."))
        return redirect("negotiations:package", package_id=package.pk)
    else:
        version = services.current(package)
        if version is None:
            raise Http404
    try:
        if action == "approve":
            services.approve(version=version, by=member_of(request), http=request)
            messages.success(request, _("Approved."))
        elif action == "revise":
            _revise(request, package, version)
        elif action == "consent":
            people = Person.objects.for_org(org_of(request)).filter(
                pk__in=[pid for pid, _f in version.named]
            )
            form = ConsentForm(request.POST, people=people)
            if form.is_valid():
                services.record_consent(
                    version=version, by=member_of(request), http=request, **form.cleaned_data
                )
                messages.success(request, _("Consent recorded."))
            else:
                messages.error(request, _("Choose the person, the decision and how."))
        elif action == "submission":
            form2 = SubmissionForm(request.POST)
            if form2.is_valid():
                services.record_submission(
                    version=version, by=member_of(request), http=request, **form2.cleaned_data
                )
                messages.success(request, _("Saved."))
        else:
            messages.error(request, _("Unknown action."))
    except services.NegotiationError as error:
        _error(request, error)
    return redirect("negotiations:package", package_id=package.pk)


def _export_or_refuse(request: HttpRequest, version_id: int, kind: str) -> Any:
    version = selectors.version_of(org_of(request), version_id)
    if version is None:
        raise Http404
    try:
        return version, services.export(
            version=version, by=member_of(request), kind=kind, http=request
        )
    except services.NegotiationError as error:
        _error(request, error)
        return version, None


@roles(*NEGOTIATORS)
@require_recent_second_factor
@local_time
def export_json(request: HttpRequest, version_id: int) -> HttpResponse:
    version, body = _export_or_refuse(request, version_id, "json")
    if body is None:
        return redirect("negotiations:package", package_id=version.package_id)
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="notice-{version.code}.json"'
    return response


def _readable(content: dict[str, Any]) -> dict[str, Any]:
    """The notice as printed: a named person's role (a code in the notice) in the page's
    language."""
    roles = dict(PersonRole.choices)
    named = [
        {k: (roles.get(v, v) if k == "role" else v) for k, v in entry.items()}
        for entry in content.get("named", [])
    ]
    return {**content, "named": named}


@roles(*NEGOTIATORS)
@require_recent_second_factor
@local_time
def export_print(request: HttpRequest, version_id: int) -> HttpResponse:
    version, body = _export_or_refuse(request, version_id, "print")
    if body is None:
        return redirect("negotiations:package", package_id=version.package_id)
    language = request.GET.get("lang") if request.GET.get("lang") in ("ar", "en") else None
    with translation.override(language or request.LANGUAGE_CODE):
        return render(
            request,
            "negotiations/print.html",
            {
                "version": version,
                "body": body,
                "content": _readable(body["content"]),
                "field_labels": FIELD_LABELS,
                "json": json.dumps(body["content"], ensure_ascii=False, indent=1),
            },
        )


@roles(*NEGOTIATORS)
@local_time
def movement_timeline(request: HttpRequest, movement_id: int) -> HttpResponse:
    movement = evac_selectors.movement_of(org_of(request), movement_id)
    if movement is None:
        raise Http404
    return render(
        request,
        "negotiations/timeline.html",
        {"movement": movement, "events": selectors.timeline(movement)},
    )


@roles(*FIELD_ROLES)
@local_time
def mine(request: HttpRequest) -> HttpResponse:
    """The person's own disclosure summary, text-free: when, to which kind of party, which kinds
    of detail — never a party's name, never a value."""
    person = linked_person(request)
    rows = list(selectors.register(person)) if person is not None else []
    kinds = dict(PartyKind.choices)
    summary = [
        {
            "at": d.at,
            "kind": kinds.get(d.party.kind, ""),
            "fields": [str(FIELD_LABELS.get(f, f)) for f in d.fields],
        }
        for d in rows
    ]
    return render(request, "negotiations/mine.html", {"rows": summary, "linked": person})
