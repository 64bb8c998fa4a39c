"""Android phone gateways: the coordinators' page (add a phone, revoke or renew its secret at
once, send SMS through the phones), and the phone's own three requests, authenticated by its
shared secret (``Authorization: Bearer <secret>``, or SMSSync's ``secret`` field): texts
received, a poll, delivery reports, and the stock SMSSync app's task calls on one Sync URL
(salama.messaging.smssync). A request without the right secret is refused with 403 and
recorded, never its body."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from salama.accounts.access import COORDINATING, roles
from salama.accounts.audit import client_address
from salama.accounts.models import Membership, Organisation
from salama.messaging import phones, smssync
from salama.messaging.channels import android
from salama.messaging.models import AndroidPhone, RejectedWebhook
from salama.messaging.webhooks import signed_webhook

log = logging.getLogger("salama.messaging")


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


def phone_webhook(view: Any) -> Any:
    """A phone's request: authenticated by its secret, not a session (no CSRF token). GET for
    SMSSync's task calls, PUT for its "PUT" sync scheme; the role-matrix test expects 403
    from it for every request without the secret."""
    wrapped = csrf_exempt(require_http_methods(["GET", "POST", "PUT"])(view))
    wrapped.salama_roles = "webhook"
    return wrapped


def _refuse(request: HttpRequest, phone_key: str, hook: str) -> HttpResponse:
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


def _authenticated(request: HttpRequest, phone_key: str, hook: str) -> AndroidPhone | HttpResponse:
    request.body  # noqa: B018 - read before anything else: a refusal hashes it
    phone = android.phone_for(phone_key, smssync.given_secret(request))
    if phone is None:
        return _refuse(request, phone_key, hook)
    phones.note_address(phone, client_address(request))
    return phone


def _items(request: HttpRequest, key: str) -> list[dict[str, Any]]:
    items = smssync.body_of(request).get(key, [])
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _receive(request: HttpRequest, phone: AndroidPhone) -> HttpResponse:
    """Texts the phone received: 200 only when every one of them is stored; otherwise an
    error status, so that the phone keeps them and posts them again (a text stored already is
    stored once)."""
    texts = smssync.texts_of(request)
    if texts is None:
        return smssync.answer(False, "no text", status=400)
    try:
        stored, refused = phones.receive_texts(phone, texts)
    except Exception:
        log.exception("android text not stored", extra={"action": "android.inbound_failed",
                                                        "org": phone.org_id})  # fmt: skip
        return smssync.answer(False, "not stored", status=503)
    if refused:
        return smssync.answer(False, "no sender or id", status=400, stored=stored)
    return smssync.answer(True, stored=stored)


def _task(request: HttpRequest, phone: AndroidPhone, task: str) -> HttpResponse:
    if task == "send" and request.method == "GET":
        return smssync.to_send(phones.poll(phone), smssync.given_secret(request))
    if task == "sent" and request.method == "POST":
        refs = phones.handed_refs(phone, smssync.uuids_of(request, "queued_messages"))
        return JsonResponse({"message_uuids": refs})
    if task == "result" and request.method == "GET":
        return JsonResponse({"message_uuids": phones.awaiting_reports(phone)})
    if task == "result" and request.method == "POST":
        phones.record_reports(phone, smssync.results_of(request))
        return smssync.answer(True)
    return smssync.answer(False, "unknown task", status=400)


@phone_webhook
def phone_inbound(request: HttpRequest, phone_key: str) -> HttpResponse:
    """Texts received (Salama's JSON list, or SMSSync's one text as a form or JSON), and
    SMSSync's ``?task=`` calls (salama.messaging.smssync)."""
    task = request.GET.get("task", "")[:10]
    if task == "sent" and not smssync.given_secret(request):
        # SMSSync sends no secret with this call: only an echo of this phone's references.
        phone: AndroidPhone | HttpResponse | None = AndroidPhone.objects.filter(
            key=phone_key, is_active=True
        ).first()
        if phone is None:
            return _refuse(request, phone_key, "sent")
    else:
        phone = _authenticated(request, phone_key, task or "inbound")
    if isinstance(phone, HttpResponse):
        return phone
    if task:
        return _task(request, phone, task)
    if request.method == "GET":
        return smssync.answer(False, "no task", status=400)
    return _receive(request, phone)


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
