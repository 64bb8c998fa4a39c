"""The duty page, alert detail, acknowledge and close, the rota, handover, and acknowledging a
person's silence. Each calls a service; none holds a rule of its own. Times are shown in the
viewer's own time zone (their duty profile, else the organisation's)."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, roles
from salama.accounts.models import Membership, Organisation, Role
from salama.alerts import rota, selectors, services
from salama.alerts.forms import CloseForm, HandoverForm, ProfileForm, ShiftForm, SilenceForm
from salama.alerts.models import Alert, DutyProfile, Shift
from salama.alerts.routing import on_duty
from salama.lib import clock
from salama.people.models import Person

VOUCHING = (*COORDINATING, Role.FIELD_LEAD)


def org_of(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def me(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def viewer_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if membership is not None:
            timezone.activate(ZoneInfo(rota.zone_for(membership)))
        try:
            return view(request, *args, **kwargs)
        finally:
            timezone.deactivate()

    return wrapper


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _version(org: Organisation, items: list[Any]) -> str:
    return f"{selectors.duty_version(org)}-{selectors.duty_items_version(items)}"


def _duty_context(request: HttpRequest, items: list[Any] | None = None) -> dict[str, Any]:
    org = org_of(request)
    due = selectors.duty_items(org, me(request)) if items is None else items
    return {
        "alerts": list(selectors.active_alerts(org)),
        "silences": selectors.overdue_by_area(org, translation.get_language() or "en"),
        "outages": selectors.open_outages(org),
        "on_duty": on_duty(org, clock.now()),
        "due_items": due,
        "version": _version(org, due),
        "zone": rota.zone_for(me(request)),
    }


@roles(*COORDINATING)
@viewer_time
def duty(request: HttpRequest) -> HttpResponse:
    context = _duty_context(request)
    context["closed"] = selectors.recent_closed(org_of(request))
    return render(request, "alerts/duty.html", context)


@roles(*COORDINATING)
@viewer_time
def duty_live(request: HttpRequest) -> HttpResponse:
    """The polled part of the duty page; 204 (htmx keeps what it has) when nothing changed."""
    items = selectors.duty_items(org_of(request), me(request))
    if request.GET.get("v") == _version(org_of(request), items):
        return HttpResponse(status=204)
    return render(request, "alerts/_live.html", _duty_context(request, items))


def _alert(request: HttpRequest, alert_number: int) -> Alert:
    return get_object_or_404(
        Alert.objects.for_org(org_of(request)).select_related(
            "person", "area", "org", "acknowledged_person"
        ),
        number=alert_number,
    )


def _detail_page(
    request: HttpRequest,
    alert: Alert,
    *,
    close_form: CloseForm | None = None,
    notes: list[selectors.Note] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "alerts/detail.html",
        {
            "alert": alert,
            "told": selectors.told(alert),
            "close_form": close_form or CloseForm(),
            "has_notes": selectors.has_notes(alert),
            "notes": notes,
        },
        status=status,
    )


@roles(*COORDINATING)
@viewer_time
def detail(request: HttpRequest, alert_number: int) -> HttpResponse:
    return _detail_page(request, _alert(request, alert_number))


@roles(*COORDINATING)
@require_POST
@never_cache
@viewer_time
def note(request: HttpRequest, alert_number: int) -> HttpResponse:
    """Answer the POST with the page itself: the notes exist in this one response only, never
    behind a URL a browser could fetch again (services.reveal_notes writes the audit row)."""
    alert = _alert(request, alert_number)
    return _detail_page(request, alert, notes=services.reveal_notes(alert=alert, request=request))


@require_POST
@roles(*COORDINATING)
def acknowledge(request: HttpRequest, alert_number: int) -> HttpResponse:
    alert = _alert(request, alert_number)
    try:
        done = services.acknowledge(alert=alert, by=me(request), via="page", request=request)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        if done:
            messages.success(request, _("Alert %(n)s is yours now.") % {"n": alert.number})
        else:
            messages.info(request, _("Alert %(n)s was already acknowledged.") % {"n": alert.number})
    if request.POST.get("next") == "duty":
        return redirect("alerts:duty")
    return redirect("alerts:detail", alert_number=alert.number)


@require_POST
@roles(*COORDINATING)
@viewer_time
def close(request: HttpRequest, alert_number: int) -> HttpResponse:
    alert = _alert(request, alert_number)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.close(
                alert=alert, by=me(request), note=form.cleaned_data["note"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Alert %(n)s is closed.") % {"n": alert.number})
            return redirect("alerts:duty")
    return _detail_page(request, alert, close_form=form, status=400)


# --- The rota -----------------------------------------------------------------------------------


@roles(*COORDINATING)
@viewer_time
def rota_page(request: HttpRequest) -> HttpResponse:
    org = org_of(request)
    membership = me(request)
    profile = DutyProfile.objects.for_org(org).filter(membership=membership).first()
    zone = rota.zone_for(membership)
    shift_form = ShiftForm(
        request.POST if request.POST.get("form") == "shift" else None,
        org=org,
        initial={"time_zone": zone},
    )
    profile_form = ProfileForm(
        request.POST if request.POST.get("form") == "profile" else None,
        initial={
            "time_zone": zone,
            "quiet_from": profile.quiet_from if profile else None,
            "quiet_until": profile.quiet_until if profile else None,
        },
    )
    status = 200
    if request.method == "POST":
        saved = _save_rota(request, shift_form, profile_form)
        if saved:
            return redirect("alerts:rota")
        status = 400
    return render(
        request,
        "alerts/rota.html",
        {
            "shifts": selectors.shifts_from(org),
            "shift_form": shift_form,
            "profile_form": profile_form,
            "zone": zone,
            "now": clock.now(),
        },
        status=status,
    )


def _save_rota(request: HttpRequest, shift_form: ShiftForm, profile_form: ProfileForm) -> bool:
    if request.POST.get("form") == "shift" and shift_form.is_valid():
        data = shift_form.cleaned_data
        try:
            rota.add_shift(
                org=org_of(request),
                membership=data["membership"],
                starts=timezone.make_naive(data["starts"]),
                ends=timezone.make_naive(data["ends"]),
                time_zone=data["time_zone"],
                by=me(request),
                request=request,
            )
        except ValidationError as exc:
            shift_form.add_error(None, _errors(exc))
            return False
        messages.success(request, _("The shift is on the rota."))
        return True
    if request.POST.get("form") == "profile" and profile_form.is_valid():
        data = profile_form.cleaned_data
        try:
            rota.set_duty_profile(
                membership=me(request),
                time_zone=data["time_zone"],
                quiet_from=data["quiet_from"],
                quiet_until=data["quiet_until"],
            )
        except ValidationError as exc:
            profile_form.add_error(None, _errors(exc))
            return False
        messages.success(request, _("Saved."))
        return True
    return False


@require_POST
@roles(*COORDINATING)
def shift_remove(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = get_object_or_404(Shift.objects.for_org(org_of(request)), pk=shift_id)
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Nothing was removed: use the Remove button on the rota."))
        return redirect("alerts:rota")
    rota.remove_shift(shift=shift, by=me(request), request=request)
    messages.success(request, _("The shift was removed."))
    return redirect("alerts:rota")


@roles(*COORDINATING)
@viewer_time
def handover(request: HttpRequest) -> HttpResponse:
    alerts = list(selectors.active_alerts(org_of(request)))
    form = HandoverForm(request.POST or None, org=org_of(request), alerts=alerts)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                count = services.hand_over(
                    org=org_of(request),
                    by=me(request),
                    assignments=form.assignments(),
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("Handed over: %(n)d alerts.") % {"n": count})
                return redirect("alerts:duty")
        status = 400
    return render(request, "alerts/handover.html", {"form": form, "alerts": alerts}, status=status)


@roles(*VOUCHING)
@viewer_time
def silence(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.for_org(org_of(request)), pk=person_id)
    allowed = rota.may_vouch(me(request), person)
    form = SilenceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rota.acknowledge_silence(
                    person=person,
                    by=me(request),
                    reason=form.cleaned_data["reason"],
                    until=form.cleaned_data["until"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(
                    request,
                    _("%(codename)s's silence is acknowledged.") % {"codename": person.codename},
                )
                return redirect("alerts:duty" if me(request).role in COORDINATING else "home")
        status = 400
    return render(
        request,
        "alerts/silence.html",
        {"person": person, "form": form, "allowed": allowed},
        status=status,
    )
