"""Outbound webhooks: what is sent, how it is signed, and the worker job that delivers.

Events and their bodies (JSON; never a name, a phone number, a note or a reason):

    alert.opened | alert.acknowledged | alert.closed
        {"event", "at", "alert": {"number", "kind", "severity", "state", "codename"}}
    rollcall.closed   {"event", "at", "rollcall": {"number", "counts": {...}}}
    checkin.recorded  {"event", "at", "checkin": {"codename", "status"}}

Signed as the gateways sign their webhooks to us (salama/messaging/channels/http_json.py):
`X-Salama-Timestamp` (Unix seconds) and `X-Salama-Signature: sha256=<hex HMAC-SHA256 under the
endpoint's secret over "<timestamp>.<body>">`, plus `X-Salama-Event` and `X-Salama-Delivery`
(the delivery's id: the same on every retry, for de-duplication).

Delivery: one row per event and endpoint, queued in the transaction of its cause (the hooks run
inside it). The job claims due rows with SKIP LOCKED and pushes their next attempt out by a
lease, commits, then posts; a 2xx delivers; anything else is retried after 30 s, 1, 2, 4 … minutes
(at most an hour apart); after MAX_ATTEMPTS the row is dead (the dead letter, kept and listed on
the settings page).
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.lib import clock
from salama.messaging.channels.http_json import signature
from salama.webhooks.models import EVENTS, DeliveryState, Endpoint, WebhookDelivery

WANTED = "webhook_events"
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)
TIMEOUT = 10
BATCH = 20


def create_endpoint(
    *, org: Organisation, url: str, events: list[str], request: HttpRequest | None = None
) -> tuple[Endpoint, str]:
    """Returns the endpoint and its signing secret (shown once; kept encrypted)."""
    url = url.strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as exc:
        raise ValidationError(_("Give the endpoint's full URL (https://…).")) from exc
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise ValidationError(_("Choose at least one event from the list."))
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            org=org, url=url, secret=secret, events=sorted(set(events))
        )
        _note_events(org.pk)
    audit.record("webhook.create", org_id=org.pk, obj=endpoint, request=request)
    return endpoint, secret


@transaction.atomic
def remove_endpoint(*, endpoint: Endpoint, request: HttpRequest | None = None) -> None:
    audit.record("webhook.remove", org_id=endpoint.org_id, obj=endpoint, request=request)
    endpoint.delete()
    _note_events(endpoint.org_id)


def _note_events(org_id: int) -> None:
    """Keep in the organisation's settings which events any endpoint wants, so that the hooks
    on the hot paths (a check-in) read the organisation they already hold instead of querying
    for endpoints each time."""
    org = Organisation.objects.select_for_update().get(pk=org_id)
    wanted: set[str] = set()
    for events in (
        Endpoint.objects.for_org(org_id).filter(is_active=True).values_list("events", flat=True)
    ):
        wanted.update(events)
    org.settings = {**(org.settings or {}), WANTED: sorted(wanted)}
    org.save(update_fields=["settings"])


def wanted(org: Organisation, event: str) -> bool:
    return event in (org.settings or {}).get(WANTED, [])


def enqueue(*, org_id: int, event: str, payload: dict[str, Any]) -> int:
    """Queue `payload` for every active endpoint of the organisation that wants `event`."""
    endpoints = [
        e for e in Endpoint.objects.for_org(org_id).filter(is_active=True) if event in e.events
    ]
    if not endpoints:
        return 0
    body = json.dumps({"event": event, "at": clock.now().isoformat(), **payload}, sort_keys=True)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(org_id=org_id, endpoint=e, event=event, body=body) for e in endpoints
    )
    return len(endpoints)


def _claim(now: Any) -> list[WebhookDelivery]:
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .select_related("endpoint")
            .order_by("next_attempt_at", "id")[:BATCH]
        )
        for row in rows:
            row.next_attempt_at = now + LEASE
            row.attempts += 1
        WebhookDelivery.objects.bulk_update(rows, ["next_attempt_at", "attempts"])
    return rows


def post(row: WebhookDelivery) -> str:
    """One attempt; returns the HTTP status (as text) or the error's class name."""
    stamp = str(int(clock.now().timestamp()))
    body = row.body.encode()
    request = urllib.request.Request(  # noqa: S310 — an https/http URL checked when saved
        row.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Salama-Webhooks/1",
            "X-Salama-Event": row.event,
            "X-Salama-Delivery": str(row.pk),
            "X-Salama-Timestamp": stamp,
            "X-Salama-Signature": "sha256=" + signature(str(row.endpoint.secret), stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            return str(answer.status)
    except urllib.error.HTTPError as exc:
        return str(exc.code)
    except (OSError, ValueError) as exc:
        return type(exc).__name__[:40]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def deliver_due() -> bool:
    """Worker job: deliver the due webhooks; returns whether it did work."""
    now = clock.now()
    rows = _claim(now)
    for row in rows:
        outcome = post(row)
        fields: dict[str, Any] = {"last_status": outcome}
        if outcome.isdigit() and 200 <= int(outcome) < 300:
            fields |= {"state": DeliveryState.DELIVERED, "delivered_at": clock.now()}
        elif row.attempts >= MAX_ATTEMPTS:
            fields |= {"state": DeliveryState.DEAD}
        else:
            fields |= {"next_attempt_at": clock.now() + backoff(row.attempts)}
        WebhookDelivery.objects.filter(pk=row.pk, state=DeliveryState.PENDING).update(**fields)
    return bool(rows)
