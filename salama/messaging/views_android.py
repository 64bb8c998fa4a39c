"""Android phone gateways: the coordinators' page (add a phone, revoke or renew its secret at
once, send SMS through the phones), and the phone's own three requests, authenticated by its
shared secret (``Authorization: Bearer <secret>``): texts received, a poll, delivery reports.
A request without the right secret is refused with 403 and recorded, never its body."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from salama.accounts.access import COORDINATING, roles
from salama.accounts.audit import client_address
from salama.accounts.models import Membership, Organisation
from salama.messaging import phones
from salama.messaging.channels import android
from salama.messaging.models import AndroidPhone, RejectedWebhook
from salama.messaging.webhooks import signed_webhook


class PhoneForm(forms.Form):
    label = forms.CharField(label=gettext_lazy("Name"), max_length=40)
    operator = forms.CharField(label=gettext_lazy("Operator of its SIM"), max_length=40,
                               required=False)  # fmt: skip
    per_minute = forms.IntegerField(
        label=gettext_lazy("Texts per minute (below 30)"), min_value=1, max_value=29, initial=20
    )


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


@roles(*COORDINATING)
def phone_list(request: HttpRequest) -> HttpResponse:
    org = _org(request)
    form = PhoneForm(request.POST or None)
    secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            phone, secret = phones.add_phone(org=org, by=_member(request), request=request,
                                             **form.cleaned_data)  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("The phone is added. Copy its secret now: it is not "
                                        "shown again."))  # fmt: skip
            form = PhoneForm()
            return render(request, "messaging/phones.html", _context(request, form, phone, secret))
    return render(request, "messaging/phones.html", _context(request, form, None, secret))


def _context(
    request: HttpRequest, form: PhoneForm, phone: AndroidPhone | None, secret: str
) -> dict[str, Any]:
    org = _org(request)
    return {
        "form": form,
        "phones": AndroidPhone.objects.for_org(org).order_by("-is_active", "label", "id"),
        "new_phone": phone,
        "secret": secret,
        "uses_phones": org.setting("sms_channel") == android.NAME,
    }


def _phone(request: HttpRequest, phone_id: int) -> AndroidPhone:
    return get_object_or_404(AndroidPhone.objects.for_org(_org(request)), pk=phone_id)


@roles(*COORDINATING)
@require_POST
def phone_revoke(request: HttpRequest, phone_id: int) -> HttpResponse:
    phone = _phone(request, phone_id)
    if phones.revoke_phone(phone=phone, by=_member(request), request=request):
        messages.success(request, _("The phone's secret is revoked: it can no longer send or "
                                    "receive."))  # fmt: skip
    return redirect("messaging:phones")


@roles(*COORDINATING)
@require_POST
def phone_secret(request: HttpRequest, phone_id: int) -> HttpResponse:
    phone = _phone(request, phone_id)
    secret = phones.renew_secret(phone=phone, by=_member(request), request=request)
    phone.refresh_from_db()
    messages.success(request, _("A new secret is set; the old one no longer works. Copy it "
                                "now: it is not shown again."))  # fmt: skip
    return render(request, "messaging/phones.html", _context(request, PhoneForm(), phone, secret))


@roles(*COORDINATING)
@require_POST
def phone_use(request: HttpRequest) -> HttpResponse:
    """Send the organisation's SMS through its phones, or stop."""
    org = _org(request)
    use = request.POST.get("use") == "1"
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=org.pk)
        if use:
            locked.settings["sms_channel"] = android.NAME
        elif locked.settings.get("sms_channel") == android.NAME:
            locked.settings.pop("sms_channel")
        locked.save(update_fields=["settings"])
    return redirect("messaging:phones")


# --- The phone's requests ---------------------------------------------------------------------


def _authenticated(request: HttpRequest, phone_key: str, hook: str) -> AndroidPhone | HttpResponse:
    request.body  # noqa: B018 - read before anything else: a refusal hashes it
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    phone = android.phone_for(phone_key, given)
    if phone is None:
        known = AndroidPhone.objects.filter(key=phone_key).first()
        body = request.body
        RejectedWebhook.objects.create(
            org_id=known.org_id if known else None,
            hook=hook,
            reason="bad_secret" if known else "unknown_gateway",
            address=client_address(request),
            body_sha256=hashlib.sha256(body).hexdigest(),
            body_length=len(body),
        )
        return HttpResponse(status=403)
    phones.note_address(phone, client_address(request))
    return phone


def _items(request: HttpRequest, key: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return []
    items = data.get(key, []) if isinstance(data, dict) else []
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


@signed_webhook
def phone_inbound(request: HttpRequest, phone_key: str) -> HttpResponse:
    phone = _authenticated(request, phone_key, "inbound")
    if isinstance(phone, HttpResponse):
        return phone
    stored = phones.receive_texts(phone, _items(request, "messages"))
    return JsonResponse({"ok": True, "stored": stored})


@signed_webhook
def phone_outbox(request: HttpRequest, phone_key: str) -> HttpResponse:
    phone = _authenticated(request, phone_key, "poll")
    if isinstance(phone, HttpResponse):
        return phone
    return JsonResponse({"messages": phones.poll(phone)})


@signed_webhook
def phone_status(request: HttpRequest, phone_key: str) -> HttpResponse:
    phone = _authenticated(request, phone_key, "status")
    if isinstance(phone, HttpResponse):
        return phone
    phones.record_reports(phone, _items(request, "reports"))
    return JsonResponse({"ok": True})
