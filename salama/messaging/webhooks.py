"""Gateway webhooks: inbound texts and delivery reports. They carry no login: each is
authenticated by its signature (salama.messaging.channels), so the views are marked
``signed_webhook``, which the role-matrix test knows: anyone unsigned gets 403.

A refused webhook is answered 403 and recorded (RejectedWebhook: the reason, the address, the
body's length and SHA-256, never the body). A verified delivery report is always answered 200,
whatever it says, so a gateway never retries one forever.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from salama.accounts.audit import client_address
from salama.messaging import channels, inbound
from salama.messaging.channels.gateways import GatewayChannel, forget, gateway_of, unchanged
from salama.messaging.compiled import NotInserted
from salama.messaging.models import Delivery, Gateway, RejectedWebhook
from salama.messaging.outbox import record_status

log = logging.getLogger("salama.messaging")

View = Callable[..., HttpResponse]


def signed_webhook(view: View) -> View:
    """A view authenticated by a signature, not a session: no CSRF token, POST only. The
    role-matrix test expects 403 from it for every unsigned request."""
    wrapped = csrf_exempt(require_POST(view))
    wrapped.salama_roles = "webhook"  # type: ignore[attr-defined]
    return wrapped


def _refuse(request: HttpRequest, hook: str, reason: str, gateway: Gateway | None) -> HttpResponse:
    body = request.body
    RejectedWebhook.objects.create(
        org_id=gateway.org_id if gateway else None,
        gateway=gateway,
        hook=hook,
        reason=reason,
        address=client_address(request),
        body_sha256=hashlib.sha256(body).hexdigest(),
        body_length=len(body),
    )
    log.warning(
        "webhook refused: %s",
        reason,
        extra={"action": f"webhook.{hook}", "org": gateway.org_id if gateway else None},
    )
    return HttpResponse(status=403)


def _verified(
    request: HttpRequest, hook: str, remembered: bool = False
) -> tuple[Gateway, GatewayChannel] | HttpResponse:
    request.body  # noqa: B018 - read (and kept) before the form is parsed: refusals hash it
    gateway = gateway_of(request, remembered=remembered)
    channel = channels.get(gateway.kind) if gateway else None
    if gateway is None or not isinstance(channel, GatewayChannel):
        return _refuse(request, hook, "unknown_gateway", None)
    reason = channel.rejection(request, gateway)
    if reason is not None and remembered:
        forget(gateway)  # never refused from memory: decided again from a fresh read
        return _verified(request, hook, remembered=False)
    if reason is not None:
        return _refuse(request, hook, reason, gateway)
    return gateway, channel


@signed_webhook
def hook_inbound(request: HttpRequest, gateway_key: str) -> HttpResponse:
    """The texts a gateway received. Its row (with its organisation) may come from this
    process's memory: then each text's INSERT checks that both rows are still exactly as they
    were read, and if they are not, nothing is stored and the request is answered again from a
    fresh read (which refuses it if the gateway was turned off or its secret changed)."""
    try:
        return _inbound(request, remembered=True)
    except NotInserted:
        return _inbound(request, remembered=False)


def _inbound(request: HttpRequest, remembered: bool) -> HttpResponse:
    checked = _verified(request, "inbound", remembered)
    if isinstance(checked, HttpResponse):
        return checked
    gateway, channel = checked
    still = unchanged(gateway) if remembered else None
    texts = channel.inbound(request, gateway)
    if still is not None and not texts:
        # Nothing to store, so no INSERT checks the remembered row: read it afresh.
        return _inbound(request, remembered=False)
    for text in texts:
        # Stored before anything else; a failure in handling leaves it for the worker.
        try:
            inbound.receive(
                org=gateway.org,
                channel=gateway.kind,
                gateway=gateway,
                sender=text.sender,
                body=text.body,
                gateway_ref=text.provider_ref,
                sent_at=text.received_at,
                only_if=still,
            )
        except NotInserted:
            forget(gateway)
            raise
    return channel.inbound_answer()


@signed_webhook
def hook_status(request: HttpRequest, gateway_key: str) -> HttpResponse:
    checked = _verified(request, "status")
    if isinstance(checked, HttpResponse):
        return checked
    gateway, channel = checked
    for report in channel.statuses(request, gateway):
        ours = Delivery.objects.for_org(gateway.org).filter(channel=gateway.kind)
        ref = report.our_ref
        if not ref and report.provider_ref:
            ref = (
                ours.filter(provider_ref=report.provider_ref)
                .values_list("our_ref", flat=True)
                .first()
                or ""
            )
        if ref and ours.filter(our_ref=ref).exists():
            record_status(our_ref=ref, delivered=report.delivered, error=report.error)
    return HttpResponse(status=200)
