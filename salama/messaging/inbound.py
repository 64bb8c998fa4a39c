"""Inbound texts: stored first, handled second.

1. ``store_inbound`` writes the text (encrypted body and sender, the sender's keyed hash and the
   gateway's id in clear) in its own transaction; a repeated gateway id is stored once.
2. ``process`` handles it (salama.messaging.handler) in another transaction, holding the row's
   lock. If handling fails, nothing it did is kept, the row is marked failed, and the worker job
   ``retry_inbound`` tries again with backoff; a row left "received" by a process that died
   between the two steps is picked up the same way.
3. ``attach_and_replay``: a coordinator attaches an unknown number to a person; the texts that
   waited are handled again at their original times, as from a provisional number.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import HttpRequest

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock, keyring
from salama.messaging import handler, services
from salama.messaging.models import Gateway, InboundMessage, InboundState, Message
from salama.people.models import Person
from salama.people.services import normalise_number, region_of

log = logging.getLogger("salama.messaging")

MAX_ATTEMPTS = 8
STALE_RECEIVED = timedelta(minutes=1)


def sender_key(org: Organisation, sender: str) -> str:
    """The form of a sender that is hashed: E.164 when it is a phone number, else as given."""
    try:
        return normalise_number(sender, region_of(org))
    except ValidationError:
        return sender.strip()


def store_inbound(
    *,
    org: Organisation,
    channel: str,
    sender: str,
    body: str,
    gateway_ref: str = "",
    gateway: Gateway | None = None,
    sent_at: datetime | None = None,
) -> tuple[InboundMessage, bool]:
    """Store one received text before anything else; (row, False) when this gateway id was
    stored already."""
    key = sender_key(org, sender)
    row = InboundMessage(
        org=org,
        channel=channel,
        gateway=gateway,
        gateway_ref=gateway_ref or f"local-{secrets.token_urlsafe(12)}",
        sender=key,
        sender_hash=keyring.lookup_hash(org.pk, key),
        body=body,
        sent_at=sent_at,
        received_at=clock.now(),
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        existing = InboundMessage.objects.for_org(org).get(
            channel=channel, gateway_ref=row.gateway_ref
        )
        return existing, False
    return row, True


def _replies_since(point_id: int | None, before: int) -> list[str]:
    if point_id is None:
        return []
    rows = Message.objects.filter(contact_point_id=point_id, pk__gt=before).order_by("pk")
    return [str(m.body) for m in rows]


def process(inbound: InboundMessage, *, replies: bool = True) -> dict[str, Any] | None:
    """Handle one stored text (see the module docstring). Returns what it did, with the replies
    queued, or None when it was handled already or failed (then it is kept for a retry)."""
    before = Message.objects.aggregate(n=Max("pk"))["n"] or 0
    try:
        with transaction.atomic():
            row = (
                InboundMessage.objects.select_for_update()
                .select_related("org")
                .filter(pk=inbound.pk)
                .first()
            )
            if row is None or row.state not in (InboundState.RECEIVED, InboundState.FAILED):
                return None
            row.state = InboundState.HANDLED
            outcome = handler.handle(row, replies=replies)
            row.action, row.reason = outcome.action, outcome.reason[:40]
            row.attempts += 1
            row.handled_at = clock.now()
            row.last_error = ""
            row.save()
    except Exception as exc:
        _mark_failed(inbound, exc)
        return None
    result = asdict(outcome)
    result["reply"] = " / ".join(_replies_since(row.contact_point_id, before))
    return result


def _mark_failed(inbound: InboundMessage, exc: Exception) -> None:
    log.exception(
        "inbound text could not be handled; kept for a retry",
        extra={"object": f"inbound:{inbound.pk}", "action": "inbound.failed"},
    )
    attempts = (
        InboundMessage.objects.filter(pk=inbound.pk).values_list("attempts", flat=True).first()
    ) or 0
    delay = timedelta(seconds=min(3600, 5 * 2**attempts))
    InboundMessage.objects.filter(pk=inbound.pk).update(
        state=InboundState.FAILED,
        attempts=attempts + 1,
        next_attempt_at=clock.now() + delay,
        last_error=f"error {type(exc).__name__}"[:120],
    )


def receive(
    *,
    org: Organisation,
    channel: str,
    sender: str,
    body: str,
    gateway_ref: str = "",
    gateway: Gateway | None = None,
    sent_at: datetime | None = None,
) -> tuple[InboundMessage, dict[str, Any] | None]:
    """Store, then handle: what webhooks, the simulator and tests call."""
    row, created = store_inbound(
        org=org,
        channel=channel,
        sender=sender,
        body=body,
        gateway_ref=gateway_ref,
        gateway=gateway,
        sent_at=sent_at,
    )
    return row, process(row) if created else None


def retry_inbound() -> bool:
    """Worker job: handle texts whose handling failed (with backoff) or that were stored by a
    process that died before handling them."""
    now = clock.now()
    due = list(
        InboundMessage.objects.filter(
            Q(state=InboundState.FAILED, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now)
            | Q(state=InboundState.RECEIVED, received_at__lt=now - STALE_RECEIVED)
        ).order_by("id")[:50]
    )
    for row in due:
        process(row)
    return bool(due)


# --- The unmatched list -----------------------------------------------------------------------


def attach_and_replay(
    *,
    inbound: InboundMessage,
    person: Person,
    by: Membership,
    request: HttpRequest | None = None,
) -> list[dict[str, Any]]:
    """Attach the sender of `inbound` to `person` (a provisional number, audited), then replay
    every text from that number still waiting, oldest first, at its original time. The replay
    sends no replies of its own (the texts were answered when they came)."""
    with transaction.atomic():
        services.attach_sender(inbound=inbound, person=person, by=by, how="coordinator")
        waiting = list(
            InboundMessage.objects.for_org(inbound.org_id)
            .filter(sender_hash=inbound.sender_hash, state=InboundState.UNMATCHED)
            .order_by("received_at", "id")
        )
        InboundMessage.objects.filter(pk__in=[w.pk for w in waiting]).update(
            state=InboundState.RECEIVED, resolved_at=clock.now(), resolved_by=by
        )
        audit.record(
            "messaging.replay",
            org_id=inbound.org_id,
            obj=inbound,
            request=request,
            detail={"person": person.pk, "texts": [w.pk for w in waiting]},
        )
    results = []
    for row in waiting:
        outcome = process(row, replies=False)
        if outcome is not None:
            results.append(outcome)
    return results
