"""The generic JSON HTTP gateway (docs/channels.md states the protocol).

Send: ``POST <base_url>`` with ``Authorization: Bearer <send_token>`` and
``{"to": "+9639...", "text": "...", "reference": "<our reference>"}``; the gateway answers 2xx
with ``{"id": "<its id>"}`` and de-duplicates on our reference (a retry after a lost answer is
not a second text).

Webhooks (inbound texts and delivery reports) carry ``X-Salama-Timestamp`` (Unix seconds) and
``X-Salama-Signature``: hex HMAC-SHA256 under the webhook secret over ``<timestamp>.<body>``.
More than 5 minutes off our clock is stale. Inbound: ``{"id", "from", "text", "sent_at"?}`` (or
``{"messages": [...]}``), ``sent_at`` being the SMSC time in ISO 8601 with its offset, when the
gateway has it. Reports: ``{"reference", "id"?, "status": "delivered" | "failed" | ...,
"error"?}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from salama.lib import clock
from salama.messaging.channels.base import Inbound, PermanentError, StatusReport
from salama.messaging.channels.gateways import (
    GatewayChannel,
    credentials_of,
    gateway_for,
    post,
    raise_for,
)

if TYPE_CHECKING:
    from salama.messaging.models import Delivery, Gateway, Message

MAX_SKEW = 300  # seconds
FAILED = frozenset({"failed", "undelivered", "rejected", "expired"})


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _time(value: Any) -> datetime | None:
    """An SMSC time: ISO 8601 with an offset, or Unix seconds. Anything else: unknown."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=clock.now().tzinfo)
        if isinstance(value, str) and value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo is not None else None
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _items(request: HttpRequest, key: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return []
    items = data.get(key, [data]) if isinstance(data, dict) else data
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


class HttpJsonChannel(GatewayChannel):
    name = "http_json"

    concurrent = True  # the hand-off is one POST (urllib, a connection of its own)

    def send(self, delivery: Delivery, message: Message, address: str) -> str:
        return self.prepare(delivery, message, address)()

    def prepare(self, delivery: Delivery, message: Message, address: str) -> Callable[[], str]:
        gateway = gateway_for(delivery.org_id, self.name)
        token = credentials_of(gateway).get("send_token", "")
        if not token:
            raise PermanentError("http_json no send token")
        payload = {"to": address, "text": str(message.body), "reference": delivery.our_ref}
        sender = credentials_of(gateway).get("sender")
        if sender:
            payload["from"] = sender
        url = gateway.base_url
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": delivery.our_ref,
        }

        def hand_off() -> str:
            answer = post(url, body, headers)
            raise_for(answer)
            return str(answer.json().get("id", ""))[:120]

        return hand_off

    def rejection(self, request: HttpRequest, gateway: Gateway) -> str | None:
        stamp = request.headers.get("X-Salama-Timestamp", "")
        given = request.headers.get("X-Salama-Signature", "")
        if not stamp or not given:
            return "unsigned"
        secret = credentials_of(gateway).get("webhook_secret", "")
        expected = signature(secret, stamp, request.body) if secret else ""
        if not secret or not hmac.compare_digest(expected, given.removeprefix("sha256=")):
            return "bad_signature"
        try:
            skew = abs(clock.now().timestamp() - float(stamp))
        except ValueError:
            return "bad_signature"
        return "stale" if skew > MAX_SKEW else None

    def inbound(self, request: HttpRequest, gateway: Gateway) -> list[Inbound]:
        return [
            Inbound(
                sender=str(item.get("from", ""))[:40],
                body=str(item.get("text", ""))[:2000],
                provider_ref=str(item.get("id", ""))[:120],
                received_at=_time(item.get("sent_at")),
            )
            for item in _items(request, "messages")
            if item.get("id") and item.get("from")
        ]

    def statuses(self, request: HttpRequest, gateway: Gateway) -> list[StatusReport]:
        reports = []
        for item in _items(request, "reports"):
            state = str(item.get("status", "")).lower()
            if state != "delivered" and state not in FAILED:
                continue  # queued, sent, ...: nothing to record
            reports.append(
                StatusReport(
                    our_ref=str(item.get("reference", ""))[:32],
                    provider_ref=str(item.get("id", ""))[:120],
                    delivered=state == "delivered",
                    error=f"http_json {state} {str(item.get('error', ''))[:40]}".strip(),
                )
            )
        return reports
