"""The Twilio-style gateway, written from the public description of the protocol (no SDK).

Send: a form POST to ``<base_url>/2010-04-01/Accounts/<account sid>/Messages.json`` with HTTP
basic auth (account sid, auth token): ``To``, ``From`` (or ``MessagingServiceSid``), ``Body`` and
``StatusCallback`` (our status webhook, with our random reference in its query); 2xx answers
``{"sid": ...}``.

Webhooks (inbound texts and status callbacks) are forms, verified with ``X-Twilio-Signature``:
base64 of HMAC-SHA1 under the auth token over the full URL the provider called followed by every
POST parameter, sorted by name, as name then value (a repeated name's values sorted too); the
URL with or without an explicit default port (``:443``), as Twilio's validator accepts it. The
protocol carries no timestamp, so a replayed inbound text is caught by its MessageSid (stored
once), not by its age.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from salama.messaging.channels.base import Inbound, PermanentError, StatusReport
from salama.messaging.channels.gateways import (
    GatewayChannel,
    credentials_of,
    gateway_for,
    post,
    raise_for,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from salama.messaging.models import Delivery, Gateway, Message

FAILED = frozenset({"failed", "undelivered", "canceled"})
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signature(token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """As Twilio's own validator computes it: each parameter name once, sorted, followed by
    each of its distinct values, sorted (a name repeated, in any order, signs the same)."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    data = url + "".join(name + v for name in sorted(values) for v in sorted(values[name]))
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_variants(url: str) -> tuple[str, str]:
    """The URL without its port and with it (the scheme's default when it names none): Twilio
    signs some webhooks with an explicit :443 and some without, and its validator accepts
    either, as this does."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    userinfo = parts.netloc[: len(parts.netloc) - len(host)]
    bare = host.rsplit(":", 1)[0] if parts.port is not None else host
    port = parts.port or (443 if parts.scheme == "https" else 80)
    without = urlunsplit(parts._replace(netloc=userinfo + bare))
    return without, urlunsplit(parts._replace(netloc=f"{userinfo}{bare}:{port}"))


def public_url(gateway: Gateway, request: HttpRequest) -> str:
    if gateway.public_url:
        return gateway.public_url.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def callback_url(gateway: Gateway, our_ref: str) -> str:
    path = reverse("messaging:hook_status", kwargs={"gateway_key": gateway.key})
    base = gateway.public_url.rstrip("/") if gateway.public_url else ""
    return f"{base}{path}?{urlencode({'ref': our_ref})}"


class TwilioChannel(GatewayChannel):
    name = "twilio"

    concurrent = True  # the hand-off is one POST (urllib, a connection of its own)

    def send(self, delivery: Delivery, message: Message, address: str) -> str:
        return self.prepare(delivery, message, address)()

    def prepare(self, delivery: Delivery, message: Message, address: str) -> Callable[[], str]:
        gateway = gateway_for(delivery.org_id, self.name)
        creds = credentials_of(gateway)
        sid, token = creds.get("account_sid", ""), creds.get("auth_token", "")
        if not sid or not token:
            raise PermanentError("twilio no account")
        form = {"To": address, "Body": str(message.body)}
        if creds.get("messaging_service_sid"):
            form["MessagingServiceSid"] = creds["messaging_service_sid"]
        else:
            form["From"] = creds.get("sender", "")
        if gateway.public_url:
            form["StatusCallback"] = callback_url(gateway, delivery.our_ref)
        auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
        url = f"{gateway.base_url.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        body = urlencode(form).encode()
        headers = {
            "Authorization": f"Basic {auth}",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        }

        def hand_off() -> str:
            answer = post(url, body, headers)
            raise_for(answer, str(answer.json().get("code", ""))[:12])
            return str(answer.json().get("sid", ""))[:120]

        return hand_off

    def rejection(self, request: HttpRequest, gateway: Gateway) -> str | None:
        given = request.headers.get("X-Twilio-Signature", "")
        if not given:
            return "unsigned"
        token = credentials_of(gateway).get("auth_token", "")
        params = [(k, v) for k, values in request.POST.lists() for v in values]
        if not token:
            return "bad_signature"
        matches = [
            hmac.compare_digest(signature(token, url, params), given)
            for url in url_variants(public_url(gateway, request))
        ]
        return None if any(matches) else "bad_signature"

    def inbound(self, request: HttpRequest, gateway: Gateway) -> list[Inbound]:
        ref = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
        sender = request.POST.get("From", "")
        if not ref or not sender:
            return []
        return [Inbound(sender=sender[:40], body=request.POST.get("Body", "")[:2000],
                        provider_ref=ref[:120])]  # fmt: skip

    def statuses(self, request: HttpRequest, gateway: Gateway) -> list[StatusReport]:
        state = request.POST.get("MessageStatus", "").lower()
        if state != "delivered" and state not in FAILED:
            return []
        return [
            StatusReport(
                our_ref=request.GET.get("ref", "")[:32],
                provider_ref=request.POST.get("MessageSid", "")[:120],
                delivered=state == "delivered",
                error=f"twilio {state} {request.POST.get('ErrorCode', '')[:12]}".strip(),
            )
        ]

    def inbound_answer(self) -> HttpResponse:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
