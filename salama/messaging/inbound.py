"""Inbound texts: stored first, handled second.

1. ``receive`` (webhooks, phones, tests) stores the text (encrypted body and sender, the
   sender's keyed hash and the gateway's id in clear) and handles it (salama.messaging.handler)
   in one transaction, with no savepoint between them (two round trips fewer on every text):
   if handling fails, or the commit itself, all of it is rolled back and the text is stored
   again on its own, marked failed with its error, for the worker to retry. A repeated gateway
   id is stored once: a second delivery of a text in flight waits on the unique index and finds
   the first.
2. ``store_inbound`` then ``process`` do the same in two transactions (the simulator, the
   worker): ``process`` holds the row's lock while handling it. The worker job ``retry_inbound``
   tries failed texts again with backoff; a row left "received" by a process that died between
   the two steps is picked up the same way.
3. ``attach_and_replay``: a coordinator attaches an unknown number to a person; the texts that
   waited are handled again at their original times, as from a provisional number.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.http import HttpRequest

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock, keyring
from salama.messaging import compiled, handler, services
from salama.messaging.models import Gateway, InboundMessage, InboundState, Message
from salama.people.models import Person
from salama.people.services import normalise_number, region_of
from salama.safety.checkins import holding_writes

log = logging.getLogger("salama.messaging")

MAX_ATTEMPTS = 8
STALE_RECEIVED = timedelta(minutes=1)


def sender_key(org: Organisation, sender: str) -> str:
    """The form of a sender that is hashed: E.164 when it is a phone number, else as given."""
    try:
        return normalise_number(sender, region_of(org))
    except ValidationError:
        return sender.strip()


def _new_row(
    *,
    org: Organisation,
    channel: str,
    sender: str,
    body: str,
    gateway_ref: str,
    gateway: Gateway | None,
    sent_at: datetime | None,
) -> InboundMessage:
    key = sender_key(org, sender)
    return InboundMessage(
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


def _stored_already(row: InboundMessage) -> InboundMessage:
    return InboundMessage.objects.for_org(row.org_id).get(
        channel=row.channel, gateway_ref=row.gateway_ref
    )


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
    row = _new_row(
        org=org,
        channel=channel,
        sender=sender,
        body=body,
        gateway_ref=gateway_ref,
        gateway=gateway,
        sent_at=sent_at,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return _stored_already(row), False
    return row, True


# What handling writes on the row: everything but the text as received.
_RAW = frozenset(
    {"id", "org", "channel", "gateway", "gateway_ref", "sender", "sender_hash", "body"}
    | {"sent_at", "received_at"}
)
_HANDLED_FIELDS = [f.name for f in InboundMessage._meta.concrete_fields if f.name not in _RAW]

# The messages queued while one text is handled (its replies are those to its sender).
_queued: ContextVar[list[Message] | None] = ContextVar("salama_inbound_queued", default=None)


def _note_message(sender: type, instance: Message, created: bool, **kwargs: Any) -> None:
    queued = _queued.get()
    if created and queued is not None:
        queued.append(instance)


post_save.connect(_note_message, sender=Message, dispatch_uid="salama.inbound.queued")


@contextmanager
def _noting_messages() -> Iterator[list[Message]]:
    queued: list[Message] = []
    token = _queued.set(queued)
    try:
        yield queued
    finally:
        _queued.reset(token)


def _handle(row: InboundMessage, *, replies: bool) -> dict[str, Any]:
    """Handle a stored row (the caller holds it in its transaction) and write what it did on
    it. Raises what handling raised; the caller's transaction drops all of it.

    The check-in's writes and the reply's are held (salama.safety.checkins.HeldWrites) and
    written with the row's own UPDATE: one statement on PostgreSQL for the common text (a
    statement run meanwhile writes what is held first, so nothing reads around them)."""
    row.state = InboundState.HANDLED
    with _noting_messages() as queued, holding_writes() as held:
        outcome = handler.handle(row, replies=replies)
        row.action, row.reason = outcome.action, outcome.reason[:40]
        row.attempts += 1
        row.handled_at = clock.now()
        row.last_error = ""
        # row.save(update_fields=...), written once, with what is held
        write, done = compiled.update_write(row, _HANDLED_FIELDS)
        (answer,) = held.release(also=[write])
        done(answer)
    # dataclasses.asdict, for this flat record without its deep copy of every value.
    result = {f.name: getattr(outcome, f.name) for f in fields(outcome)}
    result["codenames"] = list(outcome.codenames)
    point = row.contact_point_id
    mine = [m for m in queued if point is not None and m.contact_point_id == point]
    result["reply"] = " / ".join(str(m.body) for m in mine)
    return result


def process(inbound: InboundMessage, *, replies: bool = True) -> dict[str, Any] | None:
    """Handle one stored text (see the module docstring). Returns what it did, with the replies
    queued, or None when it was handled already or failed (then it is kept for a retry)."""
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
            return _handle(row, replies=replies)
    except Exception as exc:
        _mark_failed(inbound, exc)
        return None


def _mark_failed(inbound: InboundMessage, exc: Exception, logged: bool = False) -> None:
    if not logged:
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
    only_if: tuple[str, list[Any]] | None = None,
) -> tuple[InboundMessage, dict[str, Any] | None]:
    """Store, then handle, in one transaction (see the module docstring): what webhooks,
    phones and tests call. Returns the row as stored and handled (as a failure left it), and
    what handling did, or None when it failed or the gateway id was stored already.
    `only_if`: a condition the text's INSERT checks (a remembered gateway still as it was:
    salama.messaging.channels.gateways.unchanged); when it does not hold, nothing is stored
    and compiled.NotInserted is raised."""
    row = _new_row(
        org=org,
        channel=channel,
        sender=sender,
        body=body,
        gateway_ref=gateway_ref,
        gateway=gateway,
        sent_at=sent_at,
    )
    inserted = False
    try:
        with transaction.atomic():
            # row.save(force_insert=True), written once, the sender's point touched with it
            compiled.insert(row, also=handler.touch_point(row), only_if=only_if)
            row.__dict__[handler.TOUCHED] = True
            inserted = True
            result = _handle(row, replies=True)
    except IntegrityError as exc:
        if not inserted:
            return _stored_already(row), None
        return _stored_after_all(row, exc), None
    except Exception as exc:
        if not inserted:
            raise
        return _stored_after_all(row, exc), None
    return row, result


def _stored_after_all(row: InboundMessage, exc: Exception) -> InboundMessage:
    """Handling `row`, or the commit of the transaction that stored and handled it, failed
    (an error in handling, a deferred constraint, a lost commit): all of it was rolled back, so
    the text is stored again on its own, failed with that error, for the worker to retry."""
    log.exception(
        "inbound text could not be handled; stored again, kept for a retry",
        extra={"action": "inbound.failed"},
    )
    stored, created = store_inbound(
        org=row.org,
        channel=row.channel,
        sender=str(row.sender),
        body=str(row.body),
        gateway_ref=row.gateway_ref,
        gateway=row.gateway,
        sent_at=row.sent_at,
    )
    if created:
        _mark_failed(stored, exc, logged=True)
        stored.refresh_from_db()
    return stored


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
