"""What the SMS gateway adapters share: the organisation's Gateway row and its credentials, one
HTTP POST with a timeout, how an HTTP answer maps onto temporary and permanent errors, and the
webhook hooks of the Channel interface.

A gateway channel is registered once per deployment (``http_json``, ``twilio``); each delivery
and each webhook finds its organisation's Gateway row (for a webhook, by the random key in its
URL, which is not a secret: the signature is what authenticates it).
"""

from __future__ import annotations

import copy
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

from salama.messaging.channels.base import (
    Channel,
    Inbound,
    PermanentError,
    StatusReport,
    TemporaryError,
)
from salama.safety.prepared import Prepared

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from salama.messaging.models import Gateway

# Answers worth trying again: a timeout, too early, too many requests, and server errors.
_TEMPORARY = frozenset({408, 425, 429})


def credentials_of(gateway: Gateway) -> dict[str, str]:
    try:
        data = json.loads(str(gateway.credentials or "{}"))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def gateway_for(org_id: int, kind: str) -> Gateway:
    from salama.messaging.models import Gateway

    gateway = Gateway.objects.for_org(org_id).filter(kind=kind, is_active=True).first()
    if gateway is None:
        # Not configured yet: retried, then dead; a manual retry sends it once it is.
        raise TemporaryError(f"{kind} not configured")
    return gateway


def _gateway_query(key: str) -> QuerySet[Gateway]:
    from salama.messaging.models import Gateway

    return Gateway.objects.filter(key=key, is_active=True).select_related("org")


def _fingerprint() -> str | None:
    # The gateway's row and its organisation's, as read, hashed (PostgreSQL): `unchanged`.
    return "md5(found::text)" if connection.vendor == "postgresql" else None


# Every inbound text and delivery report asks for it: compiled once (salama.safety.prepared).
_gateway_by_key = Prepared(_gateway_query, "", after=("fingerprint", _fingerprint))

# Gateways (with their organisations) this process has read for an inbound text, by key, on
# PostgreSQL: a text from a remembered gateway is stored only if both rows are still exactly as
# they were read (`unchanged`, checked in the text's own INSERT), else the request starts again
# from a fresh read (salama.messaging.webhooks). Nothing is ever refused from memory.
REMEMBER_MAX = 256
_REMEMBERED: dict[str, Gateway] = {}


def _copy(gateway: Gateway) -> Gateway:
    clone = copy.copy(gateway)
    clone.org = copy.copy(gateway.org)
    return clone


def gateway_of(request: HttpRequest, *, remembered: bool = False) -> Gateway | None:
    """The gateway a webhook request is for, from the key in its URL (with its organisation,
    read once: the rest of the request uses ``gateway.org``). `remembered`: as this process
    read it before, if it did (its statement saved; the caller must store nothing unless
    `unchanged` holds in the statement that stores it)."""
    match = request.resolver_match
    key = str(match.kwargs.get("gateway_key", "") if match else "")
    if remembered:
        found = _REMEMBERED.get(key)
        if found is not None:
            return _copy(found)
    gateway = _gateway_by_key(key)
    if remembered and gateway is not None and getattr(gateway, "fingerprint", None):
        if len(_REMEMBERED) >= REMEMBER_MAX:
            _REMEMBERED.clear()
        _REMEMBERED[key] = _copy(gateway)
    return gateway


def unchanged(gateway: Gateway) -> tuple[str, list[Any]] | None:
    """An SQL condition (with its parameters) that holds while `gateway` and its organisation
    are exactly as they were read: active, same key, credentials, settings, everything. None
    when it was not read that way (not PostgreSQL)."""
    fingerprint = getattr(gateway, "fingerprint", None)
    if not fingerprint:
        return None
    return _gateway_by_key.unchanged((gateway.key,), fingerprint)


def forget(gateway: Gateway) -> None:
    """Read this gateway afresh next time (it was not as remembered)."""
    _REMEMBERED.pop(gateway.key, None)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


def post(url: str, data: bytes, headers: dict[str, str]) -> Answer:
    """One POST. A network failure or timeout is a TemporaryError; any HTTP answer is returned.
    Error codes never carry the address or the text."""
    if not url.startswith(("https://", "http://")):
        raise PermanentError("gateway address not http(s)")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        timeout = settings.OUTBOX_GATEWAY_TIMEOUT
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            return Answer(resp.status, resp.read(65536))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(65536))
    except TimeoutError:
        raise TemporaryError("gateway timeout") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise TemporaryError(f"gateway {type(exc).__name__}") from None


def raise_for(answer: Answer, detail: str = "") -> None:
    """Map a non-2xx answer onto the outbox's errors (codes only)."""
    if 200 <= answer.status < 300:
        return
    code = f"gateway {answer.status}{' ' + detail if detail else ''}"
    if answer.status in _TEMPORARY or answer.status >= 500:
        raise TemporaryError(code)
    raise PermanentError(code)


class GatewayChannel(Channel):
    """A gateway adapter. Subclasses set ``name`` (also the Gateway kind) and implement ``send``,
    ``rejection``, ``inbound``, ``statuses`` and ``inbound_answer``."""

    kinds: ClassVar[tuple[str, ...]] = ("sms",)
    hook_names: ClassVar[tuple[str, ...]] = ("inbound", "status")

    def rejection(self, request: HttpRequest, gateway: Gateway) -> str | None:
        """None when the webhook is authentic and fresh, else why not (a code)."""
        raise NotImplementedError

    def inbound(self, request: HttpRequest, gateway: Gateway) -> list[Inbound]:
        raise NotImplementedError

    def statuses(self, request: HttpRequest, gateway: Gateway) -> list[StatusReport]:
        raise NotImplementedError

    def inbound_answer(self) -> HttpResponse:
        return HttpResponse(b'{"ok": true}', content_type="application/json")

    # The Channel hooks, for callers that hold only the request.
    def verify(self, request: HttpRequest) -> bool:
        gateway = gateway_of(request)
        return gateway is not None and self.rejection(request, gateway) is None

    def receive(self, request: HttpRequest) -> list[Inbound]:
        gateway = gateway_of(request)
        return self.inbound(request, gateway) if gateway else []

    def status(self, request: HttpRequest) -> list[StatusReport]:
        gateway = gateway_of(request)
        return self.statuses(request, gateway) if gateway else []
