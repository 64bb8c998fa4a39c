"""Pages that record: the field page, a lead's proxy check-ins, relayed entry, decisions, events,
heightened mode and API tokens. Each calls a service; none holds a rule of its own."""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salama.accounts.access import ANY_MEMBER, COORDINATING, roles
from salama.accounts.models import ApiToken, Membership, Organisation, Role, User
from salama.lib import clock
from salama.people.models import Basis, DecisionKind, Person, Status
from salama.safety import fieldlock, hooks, offline, services, tokens
from salama.safety.forms import (
    DecisionForm,
    EventForm,
    FieldCheckInForm,
    HeightenedForm,
    RelayedForm,
    TokenForm,
)
from salama.safety.models import Channel, Event, Heightened

FIELD_ROLES = (Role.STAFF, Role.FIELD_LEAD, Role.COORDINATOR, Role.ORG_ADMIN, Role.LIAISON)
# Relayed news about anyone: coordinators only (leads use the proxy page for their own team).
RELAY_ROLES = COORDINATING


def org_of(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def member_of(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def local_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Show and read times in the viewer's time zone (salama.timezones sets it for every page;
    the organisation's when a view is called without it)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = getattr(request, "org", None)
        zone = getattr(request, "viewer_zone", None) or (org.time_zone if org else None)
        if zone is not None:
            timezone.activate(ZoneInfo(zone))
        try:
            return view(request, *args, **kwargs)
        finally:
            timezone.deactivate()

    return wrapper


def linked_person(request: HttpRequest) -> Person | None:
    return Person.objects.for_org(org_of(request)).filter(membership=member_of(request)).first()


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- The field page ---------------------------------------------------------------------------


DANGER = (Status.NEED_HELP, Status.INJURED)


@roles(*FIELD_ROLES)
@local_time
def field(request: HttpRequest) -> HttpResponse:
    """The field page: three big buttons, a note, an area. Works without JavaScript. A call for
    help is recorded whatever else the form holds (a bad area is left out), and the page then
    shows whether it was seen (`field_call` answers its polling where JavaScript runs)."""
    if fieldlock.is_locked(request):
        # Nothing of the organisation on a locked phone's screen, not even its name.
        hidden = {**offline.neutral(org_of(request)), "show_nav": False, "alert_banner": None}
        return render(request, "safety/field_locked.html", hidden, status=423)
    person = linked_person(request)
    form = FieldCheckInForm(request.POST or None, org=org_of(request))
    valid = form.is_valid() if request.method == "POST" else False
    danger = request.POST.get("status") in DANGER
    if request.method == "POST" and person is not None and (valid or danger):
        cleaned = form.cleaned_data
        checkin = services.record_checkin(
            person=person,
            status=cleaned["status"] if valid else request.POST["status"],
            basis=Basis.SELF,
            channel=Channel.FIELD_PAGE,
            note=cleaned.get("note") or request.POST.get("note", ""),
            area=cleaned.get("area"),
            recorded_by=member_of(request),
        )
        messages.success(
            request,
            _("Received %(time)s: %(status)s.")
            % {
                "time": timezone.localtime(checkin.received_at).strftime("%H:%M"),
                "status": checkin.get_status_display(),
            },
        )
        return redirect("safety:field")
    call = None
    if person is not None:
        person = Person.objects.for_org(org_of(request)).get(pk=person.pk)
        call = _call_to_show(person)
    owner = offline.owner_tag(org_of(request).pk, member_of(request).user_id) if person else ""
    response = render(
        request,
        "safety/field.html",
        {
            **offline.neutral(org_of(request)),  # an open page on a searched phone, too
            "person": person,
            "form": form,
            "statuses": Status,
            "call": call,
            "owner": owner,
        },
    )
    add_never_cache_headers(response)  # the live page is never kept; the offline shell is
    return response


CALL_SHOWN_FOR = timedelta(hours=24)


def _call_to_show(person: Person) -> hooks.CallForHelp | None:
    """The person's latest call for help while open, or for a day after it was made."""
    call = hooks.latest_call_for_help(person)
    if call is None or (call.is_closed and call.opened_at < clock.now() - CALL_SHOWN_FOR):
        return None
    return call


@roles(*FIELD_ROLES)
@local_time
def field_call(request: HttpRequest) -> HttpResponse:
    """The field page's call-for-help line, polled every few seconds while not yet seen: an
    empty 204 while unchanged (``v=open``), the line once it was seen."""
    person = linked_person(request)
    call = _call_to_show(person) if person is not None else None
    if call is not None and call.seen_at is None and request.GET.get("v") == "open":
        return HttpResponse(status=204)
    return render(request, "safety/_call_status.html", {"call": call})


# --- A lead's proxy check-ins -----------------------------------------------------------------


@roles(Role.FIELD_LEAD)
@local_time
def proxy(request: HttpRequest) -> HttpResponse:
    person = linked_person(request)
    team_ids = services.lead_teams(person) if person else []
    members = (
        Person.objects.for_org(org_of(request))
        .filter(team_id__in=team_ids, is_active=True)
        .exclude(pk=person.pk if person else None)
        .select_related("team")
        .order_by("team__name", "codename")
    )
    if request.method == "POST" and person is not None:
        picked = request.POST.getlist("codenames")
        everyone = request.POST.get("mode") == "all_except"
        try:
            result = services.record_proxy_checkins(
                lead=person,
                codenames=None if everyone else picked,
                except_codenames=picked if everyone else (),
                status=request.POST.get("status", ""),
                basis=request.POST.get("basis", Basis.PROXY_SEEN),
                note=request.POST.get("note", "")[:500],
                recorded_by=member_of(request),
                clear_help=request.POST.getlist("clear_help"),
            )
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(
                request,
                _("Recorded for %(n)d people: %(codes)s.")
                % {
                    "n": len(result.checkins),
                    "codes": " ".join(c.person.codename for c in result.checkins),
                },
            )
            if result.help_open:
                messages.warning(
                    request,
                    _(
                        "Not recorded for %(n)d who asked for help: %(codes)s. Their call for "
                        "help is still open. If you saw them safe yourself, tick "
                        "'I saw them safe myself' beside their codename and record again."
                    )
                    % {"n": len(result.help_open), "codes": " ".join(result.help_open)},
                )
            return redirect("safety:proxy")
    calling = {m.pk for m in members if services.has_open_call(m)}
    return render(
        request,
        "safety/proxy.html",
        {"person": person, "members": members, "statuses": Status.choices, "calling": calling},
    )


# --- Relayed entry --------------------------------------------------------------------------------


@roles(*RELAY_ROLES)
@local_time
def relayed(request: HttpRequest) -> HttpResponse:
    form = RelayedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        lines = [line for line in form.cleaned_data["text"].splitlines() if line.strip()]
        try:
            recorded = services.record_relayed_lines(
                org=org_of(request),
                lines=lines,
                recorded_by=member_of(request),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error("text", list(exc.messages))  # one error a bad line
        else:
            messages.success(
                request,
                _("Recorded %(n)d relayed check-ins: %(codes)s.")
                % {"n": len(recorded), "codes": " ".join(c.person.codename for c in recorded)},
            )
            return redirect("safety:relayed")
    recent = (
        services.CheckIn.objects.for_org(org_of(request))
        .filter(basis=Basis.RELAYED, recorded_by=member_of(request))
        .select_related("person")
        .order_by("-received_at")[:20]
    )
    return render(request, "safety/relayed.html", {"form": form, "recent": recent})


# --- Decisions ------------------------------------------------------------------------------


@roles(*COORDINATING)
@require_POST
@local_time
def decide(request: HttpRequest, person_id: int) -> HttpResponse:
    """Record a decision, or show the person's page again with what was typed: the source and
    reason are missing, or the person was heard from recently and it must be confirmed."""
    from salama.safety.board import render_person
    from salama.safety.templatetags.safety_tags import age, basis_short

    person = get_object_or_404(
        Person.objects.for_org(org_of(request)).select_related("team", "area"), pk=person_id
    )
    form = DecisionForm(request.POST)
    recent = ""
    if form.is_valid():
        try:
            services.make_decision(
                person=person,
                made_by=member_of(request),
                request=request,
                confirm_recent=request.POST.get("confirm_recent") == "1",
                **form.cleaned_data,
            )
        except services.RecentContact as exc:
            recent = _(
                "%(code)s was heard from %(age)s ago (%(basis)s). Are you sure? Tick the box to "
                "record %(kind)s anyway."
            ) % {
                "code": person.codename,
                "age": age(exc.at),
                "basis": basis_short(person.state_basis),
                "kind": DecisionKind(form.cleaned_data["kind"]).label,
            }
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("safety:person", person_id=person.pk)
    else:
        form.add_error(None, _("Give the source and the reason of the decision."))
    return render_person(request, person, form, recent)


@roles(*COORDINATING)
@require_POST
def clear(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.for_org(org_of(request)), pk=person_id)
    if services.clear_decision(person=person, cleared_by=member_of(request), request=request):
        messages.success(request, _("Decision cleared."))
    return redirect("safety:person", person_id=person.pk)


# --- Events and heightened mode ---------------------------------------------------------------


@roles(*COORDINATING)
@local_time
def events(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None, org=org_of(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.open_event(
                org=org_of(request),
                label=form.cleaned_data["label"],
                started_at=form.cleaned_data["started_at"],
                areas=form.cleaned_data["areas"],
                opened_by=member_of(request),
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Event opened. The board now counts from its start."))
            return redirect("safety:board")
    return render(
        request,
        "safety/events.html",
        {
            "form": form,
            "events": Event.objects.for_org(org_of(request)).prefetch_related("areas")[:50],
            "heightened_form": HeightenedForm(org=org_of(request)),
            "heightened": services.active_heightened(org_of(request)),
        },
    )


@roles(*COORDINATING)
@require_POST
def event_close(request: HttpRequest, event_id: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.for_org(org_of(request)), pk=event_id)
    services.close_event(event=event, closed_by=member_of(request), request=request)
    messages.success(request, _("Event closed."))
    return redirect("safety:board" if request.POST.get("next") == "board" else "safety:events")


@roles(*COORDINATING)
@require_POST
def heightened(request: HttpRequest) -> HttpResponse:
    form = HeightenedForm(request.POST, org=org_of(request))
    if form.is_valid():
        mode = services.set_heightened(
            org=org_of(request),
            areas=form.cleaned_data["areas"],
            started_by=member_of(request),
            request=request,
        )
        messages.success(
            request,
            _("Heightened mode is on until %(time)s; deadlines were recomputed.")
            % {
                "time": timezone.localtime(
                    mode.expires_at, ZoneInfo(org_of(request).time_zone)
                ).strftime("%Y-%m-%d %H:%M")
            },
        )
    return redirect("safety:events")


@roles(*COORDINATING)
@require_POST
def heightened_end(request: HttpRequest, mode_id: int) -> HttpResponse:
    mode = get_object_or_404(Heightened.objects.for_org(org_of(request)), pk=mode_id)
    services.end_heightened(mode=mode, ended_by=member_of(request), request=request)
    messages.success(request, _("Heightened mode ended; deadlines were recomputed."))
    return redirect("safety:events")


# --- API tokens -------------------------------------------------------------------------------


@roles(*ANY_MEMBER)
@local_time
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    shown = None
    if request.method == "POST" and form.is_valid():
        shown = tokens.create_token(
            user=cast(User, request.user),
            org=org_of(request),
            name=form.cleaned_data["name"],
            request=request,
        )
        form = TokenForm()
    listed = ApiToken.objects.for_org(org_of(request)).filter(user=request.user)
    return render(
        request,
        "safety/tokens.html",
        {"form": form, "shown": shown, "tokens": listed.order_by("revoked_at", "-created_at")},
    )


@roles(*ANY_MEMBER)
@require_POST
def api_token_revoke(request: HttpRequest) -> HttpResponse:
    token_id = request.POST.get("token", "")
    token = (
        ApiToken.objects.for_org(org_of(request))
        .filter(user=request.user, pk=int(token_id))
        .first()
        if token_id.isdigit()
        else None
    )
    if token is not None and tokens.revoke_token(token=token, request=request):
        messages.success(request, _("The API token was revoked."))
    else:
        messages.error(request, _("That API token was not found or is already revoked."))
    return redirect("safety:tokens")
