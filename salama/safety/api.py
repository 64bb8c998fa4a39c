"""Check-ins, the board summary and events over JSON.

POST /checkins accepts an `Idempotency-Key` header: unique per (organisation, user, key) under a
database constraint, claimed in the same transaction as the check-in. The same key with the same
body replays the first answer (header `Idempotent-Replayed: true`); with a different body it gets
409 and nothing is stored. A key in the short form (salama.lib.checkinkey) also enters the
check-ins' one store, whatever the channel (salama.safety.idempotency): a key the same person
already used by text or on the field page answers that first check-in (200, replayed) when the
status is the same, else 409. The answer is kept encrypted for at least 30 days; the body is
kept only as a keyed hash under the organisation's lookup key (`body_hash`), so a copy of the
table cannot confirm a guessed check-in (codename, status, note), and after a purge nobody
can."""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja import Status as Answer
from ninja.errors import HttpError
from pydantic import field_validator

from salama.accounts.access import COORDINATING, ORG_ADMIN_ONLY
from salama.accounts.models import Membership, Organisation, Role, User
from salama.lib import clock, keyring
from salama.lib.apiaccess import api_roles, located, pages
from salama.lib.clock import now
from salama.lib.fields import seal
from salama.lib.pagination import PAGED, PageQuery, paginate
from salama.lib.problems import errors
from salama.people.models import Area, Basis, Person, Status, TeamLead
from salama.safety import offline, selectors, services, tokens
from salama.safety.models import Channel, CheckIn, Event, IdempotencyKey
from salama.safety.prepared import Insert, Write
from salama.safety.tokens import gated

router = Router(tags=["safety"])

CHECKIN_ROLES = (Role.STAFF, Role.FIELD_LEAD, Role.COORDINATOR, Role.ORG_ADMIN, Role.LIAISON)
KEY_MAX = 200


def _org(request: HttpRequest) -> Organisation:
    return request.org  # type: ignore[attr-defined,no-any-return]


def _member(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class CheckInIn(Schema):
    status: Status
    codename: str | None = None  # empty: the caller's own person
    note: str = ""
    device_at: datetime | None = None
    area_id: int | None = None


class CheckInOut(Schema):
    id: int
    codename: str
    status: str
    basis: str
    channel: str
    device_at: datetime | None
    received_at: datetime
    effective_at: datetime
    is_time_flagged: bool
    counts_as_heard: bool
    is_held: bool  # kept beside the person's open call for help, not applied


def _checkin_out(c: CheckIn) -> dict[str, Any]:
    return {
        "id": c.pk,
        "codename": c.person.codename,
        "status": c.status,
        "basis": c.basis,
        "channel": c.channel,
        "device_at": c.device_at,
        "received_at": c.received_at,
        "effective_at": c.effective_at,
        "is_time_flagged": c.is_time_flagged,
        "counts_as_heard": c.counts_as_heard,
        "is_held": c.is_held,
    }


def _basis_for(request: HttpRequest, person: Person, own: Person | None) -> str:
    """Own person: self. A lead for a member of their teams: proxy-seen. A coordinator or org
    admin for anyone: relayed. Anything else is refused."""
    membership = _member(request)
    if own is not None and person.pk == own.pk:
        return Basis.SELF
    if membership.role in COORDINATING:
        return Basis.RELAYED
    if membership.role == Role.FIELD_LEAD and own is not None:
        teams = TeamLead.objects.for_org(_org(request)).filter(person=own).values("team_id")
        if person.team_id in {row["team_id"] for row in teams}:
            return Basis.PROXY_SEEN
    raise HttpError(403, _("You may check in only for yourself or your own team."))


def _record(
    request: HttpRequest,
    payload: CheckInIn,
    key: str = "",
    own_locked: Person | None = None,
    then: Callable[[CheckIn], Write] | None = None,
) -> CheckIn:
    """Call inside a transaction: a check-in for oneself locks the caller's own person in the
    statement that finds it (and takes the check-in's id with it). `own_locked`: the caller's
    own person, locked already in this transaction (the batch locks it once for all its
    items). `then`: record_checkin's."""
    org = _org(request)
    locked = not payload.codename
    token = getattr(request, "api_token", None)
    if payload.codename:
        if getattr(request, "api_token_seen", False):
            raise tokens.Unconfirmed  # looked up afresh, then this again (create_checkin)
        own = Person.objects.for_org(org).filter(membership=_member(request)).first()
        person = (
            Person.objects.for_org(org).filter(codename__iexact=payload.codename.strip()).first()
        )
        if person is None:
            raise HttpError(404, _("Unknown codename."))
    else:
        own = own_locked
        if own is None and token is not None:
            # The token is checked in the statement that locks the person (it may come from
            # this process's memory: salama.safety.tokens.TokenAuth).
            own, holds = services.lock_own_person_for_token(_member(request), token.pk)
            if not holds:
                raise tokens.Unconfirmed
        elif own is None:
            own = services.lock_own_person(org, _member(request))
        if own is None:
            raise HttpError(422, _("Your account is not linked to a person: give a codename."))
        person = own
    area = None
    if payload.area_id is not None:
        area = Area.objects.for_org(org).filter(pk=payload.area_id).first()
        if area is None:
            raise HttpError(422, _("Unknown area."))
    try:
        return services.record_checkin(
            person=person,
            status=payload.status,
            basis=_basis_for(request, person, own),
            channel=Channel.API,
            device_at=payload.device_at,
            note=payload.note,  # kept whole: nothing a person sent is dropped
            area=area,
            recorded_by=_member(request),
            locked=locked,
            key=key,
            then=then,
        )
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc


# IdempotencyKey.objects.create(...) with its answer encrypted, the INSERT written once.
_key_insert = Insert(
    IdempotencyKey, "org_id", "user_id", "key", "body_hash", "status_code", "response", "created_at"
)


def _json(status: int, text: str, replayed: bool = False) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def body_hash(org_id: int, canonical: str) -> str:
    """The request body's keyed hash (its own prefix: never equal to a number's lookup hash)."""
    return keyring.lookup_hash(org_id, "idempotency:" + canonical)


def legacy_body_hash(org_id: int, canonical: str) -> str:
    """A key stored before body hashes were keyed: its plain SHA-256, keyed by the migration
    (safety 0003) so that a retry of it is still replayed."""
    plain = hashlib.sha256(canonical.encode()).hexdigest()
    return keyring.lookup_hash(org_id, "idempotency-sha256:" + plain)


def _used_elsewhere(used: services.KeyUsed) -> HttpResponse:
    """The key came first by another channel (a text, the field page): the first check-in's
    answer if it said the same, else 409 (salama.safety.idempotency)."""
    if not used.same:
        raise HttpError(409, _("This key was already used for a different check-in."))
    return _json(200, json.dumps(_checkin_out(used.original), default=str), replayed=True)


def _replay(org: Organisation, request: HttpRequest, key: str, canonical: str) -> HttpResponse:
    row = IdempotencyKey.objects.for_org(org).get(user=request.user, key=key)
    if row.body_hash not in (body_hash(org.pk, canonical), legacy_body_hash(org.pk, canonical)):
        raise HttpError(409, _("This Idempotency-Key was used with a different request body."))
    return _json(row.status_code, row.response, replayed=True)


IDEMPOTENCY = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "description": "Any string up to 200 characters, unique per check-in you mean to "
            "record: a retry with the same key and body replays the first answer (header "
            "Idempotent-Replayed: true); with another body it is refused (422).",
            "schema": {"type": "string", "maxLength": KEY_MAX},
        }
    ],
    "responses": {
        201: {
            "headers": {
                "Idempotent-Replayed": {
                    "description": "true when this is the stored answer to an earlier request",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        }
    },
}


@router.post(
    "/checkins",
    response={201: CheckInOut, **errors(404)},
    auth=gated(*CHECKIN_ROLES, seen=True),
    openapi_extra=IDEMPOTENCY,
)
@api_roles(*CHECKIN_ROLES)
def create_checkin(request: HttpRequest, payload: CheckInIn) -> HttpResponse:
    """Record a check-in: for yourself (no codename), a member of your team (leads, basis
    proxy-seen) or anyone (coordinators, basis relayed)."""
    key = request.headers.get("Idempotency-Key", "")
    return tokens.confirmed(request, CHECKIN_ROLES, lambda: answer_checkin(request, payload, key))


def answer_checkin(request: HttpRequest, payload: CheckInIn, key: str) -> HttpResponse:
    """One check-in with its Idempotency-Key (empty: none), answered as POST /checkins answers
    it; the batch (salama.safety.batch) calls it once per item, each in its own savepoint."""
    org = _org(request)
    key = key.strip()
    if not key:
        with transaction.atomic():
            checkin = _record(request, payload)
        return _json(201, json.dumps(_checkin_out(checkin), default=str))
    if len(key) > KEY_MAX:
        raise HttpError(422, _("The Idempotency-Key is too long."))
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True)
    hashed = body_hash(org.pk, canonical)
    try:
        with transaction.atomic():
            # Record, then claim the key WITH its answer, without looking for it first (a
            # replay is the rare case): one INSERT, no later UPDATE, written with the check-in
            # (one statement on PostgreSQL). A used key fails that INSERT on the unique index
            # and everything recorded here rolls back; a concurrent duplicate waits (on the
            # person's lock, or on the key's index entry), then fails the same way and replays
            # this answer once it is committed.
            answer: list[str] = []

            def claim(checkin: CheckIn) -> Write:
                answer.append(json.dumps(_checkin_out(checkin), default=str))
                sealed = seal(org.pk, answer[0])
                user_id = cast(User, request.user).pk
                return _key_insert.write(org.pk, user_id, key, hashed, 201, sealed, now())

            _record(request, payload, key, then=claim)
            text = answer[0]
    except IntegrityError as error:
        try:
            return _replay(org, request, key, canonical)
        except IdempotencyKey.DoesNotExist:
            raise error from None  # not the key: another constraint failed
    except services.KeyUsed as used:
        try:
            return _replay(org, request, key, canonical)
        except IdempotencyKey.DoesNotExist:
            return _used_elsewhere(used)
    except HttpError as refused:
        # Recording is refused now (the person gone, a link changed): a used key still gets
        # its first answer, as when the key was claimed before recording.
        try:
            return _replay(org, request, key, canonical)
        except IdempotencyKey.DoesNotExist:
            raise refused from None
    return _json(201, text)


class CheckInFilters(PageQuery):
    codename: str | None = None
    since: datetime | None = None

    @field_validator("since", mode="before")
    @classmethod
    def _a_date_not_a_number(cls, value: Any) -> Any:
        # pydantic reads a bare number as seconds since 1970: the schema promises a date-time.
        if isinstance(value, int | float) or (
            isinstance(value, str) and value.lstrip("-").isdigit()
        ):
            raise ValueError("a date-time (ISO 8601) is expected")
        return value


@router.get("/checkins", response=list[CheckInOut], openapi_extra=PAGED)
@api_roles(*CHECKIN_ROLES)
def list_checkins(
    request: HttpRequest, response: HttpResponse, filters: Query[CheckInFilters]
) -> list[dict[str, Any]]:
    """Coordinators see the organisation's check-ins; others their own person's. Newest first,
    by cursor (docs/api.md)."""
    query = CheckIn.objects.for_org(_org(request)).select_related("person")
    if _member(request).role not in COORDINATING:
        query = query.filter(person__membership=_member(request))
    if filters.codename:
        query = query.filter(person__codename__iexact=filters.codename)
    if filters.since:
        query = query.filter(received_at__gte=filters.since)
    rows = paginate(request, response, query, filters, ("-received_at", "-id"))
    return [_checkin_out(c) for c in rows]


class BoardOut(Schema):
    total: int
    counts: dict[str, int]
    event_id: int | None
    event_started_at: datetime | None
    heard_since: int | None
    version: str


@router.get("/board", response=BoardOut)
@api_roles(*COORDINATING)
def board_summary(request: HttpRequest, event_choice: int | None = None) -> dict[str, Any]:
    """Counts by state and accountability; with an open event (`event_choice`: its id, 0 for
    none; by default the newest open one), heard from since it started."""
    org = _org(request)
    filters = selectors.Filters()
    summary = selectors.board_summary(org, filters, choice=event_choice)
    event = summary.event
    return {
        "total": summary.total,
        "counts": summary.counts,
        "event_id": event.pk if event else None,
        "event_started_at": event.started_at if event else None,
        "heard_since": summary.heard_since if event else None,
        "version": selectors.board_version(org, filters, choice=event_choice),
    }


class EventIn(Schema):
    label: str
    started_at: datetime | None = None
    area_ids: list[int] = []


class EventOut(Schema):
    id: int
    label: str
    started_at: datetime
    area_ids: list[int]
    closed_at: datetime | None


def _event_out(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "label": event.label,
        "started_at": event.started_at,
        "area_ids": [a.pk for a in event.areas.all()],
        "closed_at": event.closed_at,
    }


@router.get("/events", response=list[EventOut], openapi_extra=PAGED)
@api_roles(*COORDINATING)
def list_events(
    request: HttpRequest, response: HttpResponse, page: Query[PageQuery]
) -> list[dict[str, Any]]:
    """Newest first, by cursor (docs/api.md)."""
    events = Event.objects.for_org(_org(request)).prefetch_related("areas")
    return [
        _event_out(e) for e in paginate(request, response, events, page, ("-started_at", "-id"))
    ]


@router.post(
    "/events",
    response={201: EventOut},
    auth=gated(*COORDINATING),
    openapi_extra=pages("safety:events", created=True),
)
@api_roles(*COORDINATING)
def create_event(request: HttpRequest, response: HttpResponse, payload: EventIn) -> Answer:
    org = _org(request)
    areas = list(Area.objects.for_org(org).filter(pk__in=payload.area_ids))
    if len(areas) != len(set(payload.area_ids)):
        raise HttpError(422, _("Unknown area."))
    try:
        event = services.open_event(
            org=org,
            label=payload.label,
            started_at=payload.started_at or clock.now(),
            areas=areas,
            opened_by=_member(request),
            request=request,
        )
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc
    located(response, f"/events/{event.pk}")
    return Answer(201, _event_out(event))


class FieldSettingsIn(Schema):
    app_name: str = ""
    app_icon: str
    sms_number: str = ""
    sms_after_minutes: int
    lock_minutes: int


class FieldSettingsOut(Schema):
    app_name: str
    app_icon: str
    sms_number: str
    sms_after_minutes: int
    lock_minutes: int
    shown_name: str  # what the phone shows (app_name, or the neutral default)


def _field_settings_out(org: Organisation) -> FieldSettingsOut:
    return FieldSettingsOut(**offline.settings_of(org), shown_name=offline.app_name(org))


@router.get("/field/settings", response=FieldSettingsOut)
@api_roles(*ORG_ADMIN_ONLY)
def get_field_settings(request: HttpRequest) -> FieldSettingsOut:
    """The field page's settings (docs/field-offline.md)."""
    return _field_settings_out(_org(request))


@router.put(
    "/field/settings",
    response=FieldSettingsOut,
    auth=gated(*ORG_ADMIN_ONLY),
    openapi_extra=pages("safety:field_settings"),
)
@api_roles(*ORG_ADMIN_ONLY)
def save_field_settings(request: HttpRequest, payload: FieldSettingsIn) -> FieldSettingsOut:
    """The field page's settings: its neutral name (never the organisation's) and icon
    (notes, leaf, sun), the number for the ready-made text, when to offer it, when to lock."""
    org = _org(request)
    try:
        offline.save_settings(org=org, request=request, **payload.model_dump())
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc
    return _field_settings_out(org)
