"""The field page offline (O1): the JSON the page's queue talks to, the offline shell, the
service worker and the manifest. The page itself (salama.safety.views.field) still works
without JavaScript; these add the queue on top (docs/field-offline.md).

``POST /safety/send/`` takes one queued check-in: ``{"key", "kind", "status", "note",
"area_id", "device_at"}`` (the key in the short form of salama.lib.checkinkey) and answers

- 201 ``{"result": "stored", "received_at", "message"}``;
- 200 ``{"result": "duplicate", "received_at"}``: the key and status came before (by this page,
  the API or a text), the first check-in's server time;
- 409 ``{"detail"}``: the key came before with another status; nothing stored;
- 422 ``{"detail"}``: the item cannot be stored as it is (the page asks the person to fix or
  discard it). A call for help is stored whatever else is wrong with it (an unknown area is
  left out, as on the form).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from salama.accounts.access import ORG_ADMIN_ONLY, public, roles
from salama.lib.checkinkey import canonical
from salama.people.models import Area, Basis, Status
from salama.safety import fieldlock, offline, services
from salama.safety.forms import FieldSettingsForm
from salama.safety.models import Channel
from salama.safety.views import FIELD_ROLES, linked_person, local_time, member_of, org_of

DANGER = (Status.NEED_HELP, Status.INJURED)
ASSETS = ("salama/salama.css", "safety/safety.css", "safety/field.js")


def _refuse(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@never_cache
@roles(*FIELD_ROLES)
def field_session(request: HttpRequest) -> JsonResponse:
    """What the page needs to keep and send its queue: the user's owner tag and queue key,
    a CSRF token, the codename, the organisation's text number and timings."""
    from django.middleware.csrf import get_token

    if fieldlock.is_locked(request):
        return JsonResponse({"detail": _("Locked."), "csrf": get_token(request)}, status=423)
    person = linked_person(request)
    info = offline.session_info(
        org_of(request), member_of(request).user_id, person.codename if person else None
    )
    info["csrf"] = get_token(request)
    return JsonResponse(info)


def _read(request: HttpRequest) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


@never_cache
@require_POST
@roles(*FIELD_ROLES)
@local_time
def field_send(request: HttpRequest) -> JsonResponse:
    if fieldlock.is_locked(request):
        return _refuse(423, _("Locked."))  # not an answer about the item: it waits
    body = _read(request)
    if body is None:
        return _refuse(400, _("The request could not be read."))
    key = canonical(str(body.get("key") or ""))
    status = str(body.get("status") or "")
    if key is None:
        return _refuse(422, _("This item has no valid key."))
    if status not in Status.values:
        return _refuse(422, _("Unknown status."))
    device_at = parse_datetime(str(body.get("device_at") or "")) if body.get("device_at") else None
    if device_at is not None and timezone.is_naive(device_at):
        device_at = None
    org = org_of(request)
    area = None
    area_id = body.get("area_id")
    if area_id not in (None, ""):
        area = (
            Area.objects.for_org(org).filter(pk=int(area_id)).first()
            if str(area_id).isdigit()
            else None
        )
        if area is None and status not in DANGER:
            return _refuse(422, _("Unknown area."))
    note = str(body.get("note") or "")
    try:
        with transaction.atomic():
            person = services.lock_own_person(org, member_of(request))
            if person is None:
                return _refuse(422, _("Your account is not linked to a person on the roster."))
            checkin = services.record_checkin(
                person=person,
                locked=True,
                status=status,
                basis=Basis.SELF,
                channel=Channel.FIELD_PAGE,
                device_at=device_at,
                note=note,
                area=area,
                recorded_by=member_of(request),
                key=key,
            )
    except services.KeyUsed as used:
        if not used.same:
            return _refuse(409, _("This item was already sent with other content."))
        return JsonResponse(
            {"result": "duplicate", "received_at": used.original.received_at.isoformat()}
        )
    except ValidationError as exc:
        return _refuse(422, " ".join(exc.messages))
    received = timezone.localtime(checkin.received_at)
    message = _("Received %(time)s: %(status)s.") % {
        "time": received.strftime("%H:%M"),
        "status": checkin.get_status_display(),
    }
    if status in DANGER:
        # The page is drawn again after a call for help (its "seen" line): the same message
        # on top as the form gives.
        messages.success(request, message)
    return JsonResponse(
        {"result": "stored", "received_at": checkin.received_at.isoformat(), "message": message},
        status=201,
    )


@roles(*FIELD_ROLES)
def field_shell(request: HttpRequest) -> HttpResponse:
    """The page the service worker shows when /safety/ cannot be reached: the buttons and the
    queue, nothing about the person (the codename comes from the session's memory)."""
    org = org_of(request)
    return render(
        request,
        "safety/field_shell.html",
        {"app_name": offline.app_name(org), "icon": offline.app_icon(org)},
    )


def _version(org_icon: str) -> str:
    digest = hashlib.sha256(getattr(settings, "FIELD_OFFLINE_VERSION", "1").encode())
    for name in (*ASSETS, f"safety/icons/{org_icon}.svg"):
        found = finders.find(name)
        if found:
            with open(str(found), "rb") as handle:
                digest.update(handle.read())
    digest.update((get_language() or "").encode())
    return digest.hexdigest()[:12]


@public
def field_sw(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /safety/ so that its scope is the field page."""
    org = getattr(request, "org", None)
    icon = offline.app_icon(org)
    assets = [static(name) for name in (*ASSETS, f"safety/icons/{icon}.svg")]
    response = render(
        request,
        "safety/sw.js",
        {
            "version": _version(icon),
            "assets": json.dumps(assets),
            "shell": json.dumps(reverse("safety:field_shell")),
        },
        content_type="text/javascript",
    )
    response["Cache-Control"] = "no-cache"
    return response


@public
def field_manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: the organisation's neutral name and icon (SVG, and PNG at 192 and
    512 pixels for the browsers that install only those), nothing else."""
    org = getattr(request, "org", None)
    name = offline.app_name(org)
    icon = offline.app_icon(org)
    pngs = [
        {"src": static(f"safety/icons/{icon}-{size}.png"), "sizes": f"{size}x{size}",
         "type": "image/png", "purpose": "any"}
        for size in offline.PNG_SIZES
    ]  # fmt: skip
    data = {
        "name": name,
        "short_name": name[:12],
        "start_url": "/safety/",
        "scope": "/safety/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#ffffff",
        "lang": get_language(),
        "dir": "rtl" if get_language_bidi() else "ltr",
        "icons": [
            {"src": static(f"safety/icons/{icon}.svg"), "sizes": "any", "type": "image/svg+xml"},
            *pngs,
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


# --- The lock (salama.safety.fieldlock) --------------------------------------------------------


@never_cache
@require_POST
@roles(*FIELD_ROLES)
def field_lock(request: HttpRequest) -> HttpResponse:
    fieldlock.lock(request)
    if request.content_type == "application/json":
        return JsonResponse({"locked": True})
    return redirect("safety:field")


@never_cache
@require_POST
@roles(*FIELD_ROLES)
def field_unlock(request: HttpRequest) -> HttpResponse:
    """The PIN (JSON from the page, or the locked page's form): the session's queue details on
    success (JSON), else 403; the fifth wrong PIN ends the session."""
    as_json = request.content_type == "application/json"
    body = _read(request) if as_json else request.POST
    secret = str((body or {}).get("pin") or "")
    if not fieldlock.unlock(request, secret):
        if not request.user.is_authenticated:
            return _refuse(401, _("The session ended.")) if as_json else redirect("safety:field")
        if as_json:
            return _refuse(403, _("That PIN is not right."))
        messages.error(request, _("That PIN is not right."))
        return redirect("safety:field")
    if not as_json:
        return redirect("safety:field")
    return field_session(request)


@never_cache
@roles(*FIELD_ROLES)
def field_pin(request: HttpRequest) -> HttpResponse:
    """Choose the PIN that unlocks the field page on this device (this session only)."""
    error = ""
    if request.method == "POST":
        if fieldlock.is_locked(request):
            return redirect("safety:field")
        try:
            fieldlock.set_pin(request, request.POST.get("pin", ""))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("PIN set for this phone."))
            return redirect("safety:field")
    context = {"error": error, "has_pin": fieldlock.has_pin(request)}
    return render(request, "safety/field_pin.html", {**offline.neutral(org_of(request)), **context})


# --- The organisation's settings for the field page (org admins) ------------------------------


@roles(*ORG_ADMIN_ONLY)
def field_settings(request: HttpRequest) -> HttpResponse:
    """The `field_*` settings (salama.safety.offline): the same service as
    ``PUT /api/field/settings``."""
    org = org_of(request)
    form = FieldSettingsForm(
        request.POST or None, initial=offline.settings_of(org), icons=offline.ICONS
    )
    if request.method == "POST" and form.is_valid():
        try:
            offline.save_settings(org=org, request=request, **form.cleaned_data)
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("The field page settings were saved."))
            return redirect("safety:field_settings")
    return render(
        request,
        "safety/field_settings.html",
        {"form": form, "shown_name": offline.app_name(org), "icon": offline.app_icon(org)},
    )
