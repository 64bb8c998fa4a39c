"""Roster pages for coordinators and org admins. No page here shows a real name or a number,
except the person page in answer to a Reveal POST (services.reveal writes the audit row)."""

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, require_recent_second_factor, roles
from salama.accounts.models import Organisation
from salama.lib import clock
from salama.people import hooks, importer, selectors, services
from salama.people.forms import (
    AreaForm,
    ContactFormSet,
    EnrolmentForm,
    ExistingContactFormSet,
    FacilityForm,
    ImportForm,
    PersonForm,
    RosterFilterForm,
    TeamForm,
)
from salama.people.hooks import Panel
from salama.people.models import Area, ContactPoint, Facility, Person, Team
from salama.people.services import ContactSpec

PAGE_SIZE = 200


def org_of(request: HttpRequest) -> Organisation:
    """The organisation the middleware chose (every view here is under roles(...))."""
    return request.org  # type: ignore[attr-defined,no-any-return]


MAX_UPLOAD = 2 * 1024 * 1024


def _form_errors(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Roster and search ----------------------------------------------------------------------


@roles(*COORDINATING)
def roster(request: HttpRequest) -> HttpResponse:
    form = RosterFilterForm(request.GET or None, org=org_of(request))
    filters = form.cleaned_data if form.is_valid() else {}
    people = selectors.roster(org_of(request), filters)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/roster.html",
        {"form": form, "page": page, "total": people.count(), "query": query.urlencode()},
    )


# --- One person ---------------------------------------------------------------------------


def _person(request: HttpRequest, person_id: int) -> Person:
    return get_object_or_404(
        Person.objects.for_org(org_of(request)).select_related("team", "area", "home_facility"),
        pk=person_id,
    )


def person_panels(request: HttpRequest, person: Person, bound: dict[str, Any]) -> list[Panel]:
    """The cards higher apps add to the person's page (people.hooks.person_panels), in order."""
    found = hooks.person_panels(request=request, person=person, bound=bound)
    return sorted((panel for panel in found if panel is not None), key=lambda p: p.order)


def person_page(
    request: HttpRequest, person: Person, *, bound: dict[str, Any], status: int
) -> HttpResponse:
    """The person's page shown again with a higher app's form (`bound`) after a mistake."""
    return _person_page(request, person, bound=bound, status=status)


def person_of(request: HttpRequest, person_id: int) -> Person:
    """This organisation's person `person_id`, or 404."""
    return _person(request, person_id)


def _person_page(
    request: HttpRequest,
    person: Person,
    *,
    revealed: dict[str, str] | None = None,
    enrol_form: EnrolmentForm | None = None,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    points = list(
        person.contact_points.defer("value").order_by("kind", "pk").prefetch_related("persons")
    )
    response = render(
        request,
        "people/person.html",
        {
            "person": person,
            "points": points,
            "leads": services.leads_for(person),
            "is_lead": services.is_lead(person),
            "can_reveal": services.can_reveal(request),
            "revealed": revealed or {},
            "enrol_form": enrol_form or EnrolmentForm(),
            "panels": person_panels(request, person, bound or {}),
        },
        status=status,
    )
    return response


@roles(*COORDINATING)
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    return _person_page(request, _person(request, person_id))


@roles(*COORDINATING)
@require_POST
@require_recent_second_factor
@never_cache
def person_reveal(request: HttpRequest, person_id: int) -> HttpResponse:
    """Answer the POST with the page itself (no redirect): the revealed value exists in this
    one response only, never behind a URL a browser could fetch again."""
    person = _person(request, person_id)
    field = request.POST.get("field", "")
    try:
        value = services.reveal(person=person, field=field, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _person_page(request, person, status=400)
    except PermissionDenied:
        raise
    return _person_page(request, person, revealed={field: value or _("(not recorded)")})


@roles(*COORDINATING)
@require_POST
def person_enrol(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id)
    form = EnrolmentForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, enrol_form=form, status=400)
    services.record_enrolment(
        person=person,
        by=request.membership,  # type: ignore[attr-defined]
        how=form.cleaned_data["how"],
        test_message_at=clock.now(),
    )
    messages.success(request, _("%(codename)s is enrolled.") % {"codename": person.codename})
    return redirect("people:person", person_id=person.pk)


def _new_contacts(formset: Any, org: Organisation) -> list[ContactSpec] | None:
    """The filled rows of the new-contacts formset, each value checked; None when a row has an
    error (added to that row's form)."""
    specs: list[ContactSpec] = []
    ok = formset.is_valid()
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data.get("value"):
            continue
        try:
            services.normalise_value(org=org, kind=data["kind"], value=data["value"])
        except ValidationError as error:
            form.add_error("value", error)
            ok = False
            continue
        specs.append(
            ContactSpec(
                value=data["value"],
                kind=data["kind"],
                label=data["label"],
                is_shared=data["is_shared"],
                operator=data["operator"],
            )
        )
    return specs if ok else None


@roles(*COORDINATING)
def person_new(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, org=org_of(request))
    contacts = ContactFormSet(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        specs = _new_contacts(contacts, org_of(request))
        if specs is not None:
            fields = form.person_fields()
            try:
                person = services.create_person(org=org_of(request), contacts=specs, **fields)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(
                    request, _("%(codename)s was added.") % {"codename": person.codename}
                )
                return redirect("people:person", person_id=person.pk)
    return render(
        request, "people/person_form.html", {"form": form, "contacts": contacts, "person": None}
    )


@roles(*COORDINATING)
def person_edit(request: HttpRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id)
    points = {p.pk: p for p in person.contact_points.order_by("kind", "pk")}
    hidden = ("membership", "real_name", "specialty", "exact_location")
    initial = {f: getattr(person, f) for f in services.PERSON_FIELDS if f not in hidden}
    form = PersonForm(request.POST or None, org=org_of(request), initial=initial, editing=True)
    existing = ExistingContactFormSet(
        request.POST or None,
        prefix="cp",
        initial=[
            {
                "id": p.pk,
                "label": p.label,
                "state": p.state,
                "is_shared": p.is_shared,
                "operator": p.operator,
            }
            for p in points.values()
        ],
    )
    contacts = ContactFormSet(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid() and existing.is_valid():
        specs = _new_contacts(contacts, org_of(request))
        if specs is not None:
            try:
                _save_person_edit(person, form, existing, points, specs)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                messages.success(
                    request, _("%(codename)s was saved.") % {"codename": person.codename}
                )
                return redirect("people:person", person_id=person.pk)
    rows = [(f, points.get(f.initial.get("id") or 0)) for f in existing.forms]
    return render(
        request,
        "people/person_form.html",
        {"form": form, "contacts": contacts, "existing": existing, "rows": rows, "person": person},
    )


def _save_person_edit(
    person: Person,
    form: PersonForm,
    existing: Any,
    points: dict[int, ContactPoint],
    specs: list[ContactSpec],
) -> None:
    from django.db import transaction

    with transaction.atomic():
        services.update_person(person=person, contacts=specs, **form.person_fields())
        for row in existing.cleaned_data:
            point = points.get(row.get("id") or 0)
            if point is None:
                continue
            if row["remove"]:
                services.unlink_contact_point(point=point, person=person)
            else:
                services.update_contact_point(
                    point=point,
                    label=row["label"],
                    is_shared=row["is_shared"],
                    operator=row["operator"],
                    state=row["state"],
                )


# --- Teams, areas, facilities -------------------------------------------------------------


@roles(*COORDINATING)
def teams(request: HttpRequest) -> HttpResponse:
    return render(request, "people/teams.html", {"teams": selectors.teams(org_of(request))})


@roles(*COORDINATING)
def team_edit(request: HttpRequest, team_id: int | None = None) -> HttpResponse:
    team = get_object_or_404(Team.objects.for_org(org_of(request)), pk=team_id) if team_id else None
    initial = {}
    if team:
        links = list(team.lead_links.all())
        initial = {
            "name": team.name,
            "name_ar": team.name_ar,
            "leads": [link.person_id for link in links if not link.is_deputy],
            "deputies": [link.person_id for link in links if link.is_deputy],
        }
    form = TeamForm(request.POST or None, org=org_of(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_team(org=org_of(request), team=team, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The team was saved."))
            return redirect("people:teams")
    return render(
        request,
        "people/edit.html",
        {"form": form, "object": team, "title": _("Team"), "back": "people:teams"},
    )


def _map_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "features": selectors.map_features(org_of(request)),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }


@roles(*COORDINATING)
def areas(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "people/areas.html",
        {"areas": selectors.areas(org_of(request)), **_map_context(request)},
    )


@roles(*COORDINATING)
def area_edit(request: HttpRequest, area_id: int | None = None) -> HttpResponse:
    area = get_object_or_404(Area.objects.for_org(org_of(request)), pk=area_id) if area_id else None
    initial = {}
    if area:
        import json

        initial = {
            f: getattr(area, f)
            for f in ("name_en", "name_ar", "aliases", "latitude", "longitude", "risk")
        }
        initial["polygon"] = json.dumps(area.polygon) if area.polygon else ""
    form = AreaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_area(org=org_of(request), area=area, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The area was saved."))
            return redirect("people:areas")
    return render(
        request,
        "people/edit.html",
        {"form": form, "object": area, "title": _("Area"), "back": "people:areas"},
    )


@roles(*COORDINATING)
def facilities(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "people/facilities.html",
        {"facilities": selectors.facilities(org_of(request)), **_map_context(request)},
    )


@roles(*COORDINATING)
def facility_edit(request: HttpRequest, facility_id: int | None = None) -> HttpResponse:
    facility = (
        get_object_or_404(Facility.objects.for_org(org_of(request)), pk=facility_id)
        if facility_id
        else None
    )
    fields = (
        "name",
        "name_ar",
        "aliases",
        "kind",
        "area",
        "latitude",
        "longitude",
        "functionality",
    )
    initial = {f: getattr(facility, f) for f in fields} if facility else {}
    form = FacilityForm(request.POST or None, org=org_of(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_facility(org=org_of(request), facility=facility, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The facility was saved."))
            return redirect("people:facilities")
    return render(
        request,
        "people/edit.html",
        {"form": form, "object": facility, "title": _("Facility"), "back": "people:facilities"},
    )


# --- CSV import ---------------------------------------------------------------------------


@csrf_exempt  # CSRF is checked below, after the upload handlers are set
@roles(*COORDINATING)
def roster_import(request: HttpRequest) -> HttpResponse:
    # Uploads stay in memory: a roster file must never be spooled to a temporary file on disk.
    request.upload_handlers = [MemoryFileUploadHandler(request)]
    return _roster_import(request)


@csrf_protect
def _roster_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "people/import.html", {"form": form})
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD:
        form.add_error("file", _("The file is larger than 2 MB."))
        return render(request, "people/import.html", {"form": form})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.add_error("file", _("Save the file as CSV in UTF-8."))
        return render(request, "people/import.html", {"form": form})
    response = StreamingHttpResponse(_stream_import(request, text), content_type="text/html")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"
    return response  # type: ignore[return-value]


def _stream_import(request: HttpRequest, text: str) -> Iterator[str]:
    """The page in pieces: its head, one progress line per 100 rows (CSS shows only the last),
    then the result and the page's end. The import's one transaction spans the saving lines."""
    language = translation.get_language()
    with translation.override(language):
        page = render_to_string("people/import_run.html", request=request)
        head, tail = page.split("<!--progress-->", 1)
    yield head
    with translation.override(language):
        try:
            for step in importer.run_import(org=org_of(request), text=text):
                yield render_to_string("people/import_step.html", {"step": step}, request=request)
        except ValidationError as error:
            step = importer.Progress("failed", errors=[importer.RowError(0, "", error.messages[0])])
            yield render_to_string("people/import_step.html", {"step": step}, request=request)
    yield tail
