"""POST /checkins/batch: the check-ins of a client that syncs a queue (the offline field page, a
partner's app) in one request.

Each item is one check-in with its own idempotency key, answered as POST /checkins answers it
(same rules, same replays: `answer_checkin`), separately and in the order sent, in ONE
transaction with one commit: a refused item (a bad body, an unknown codename, a key used with
another body) leaves nothing of itself and the others are still answered. A key repeated inside
a batch replays the first item's answer. An error of the server itself (not of an item) fails
the whole batch and stores none of it: the client sends it again with the same keys.

A fast pass (`_Pass`) answers most batches: the keys looked up in one statement first, the
caller's own person locked once, nothing written for an item before it is known to be
recorded (so no savepoint per item), the new keys claimed in one INSERT at the end. What it
cannot answer exactly so (a failed statement, an item refused after writing, a key claimed
meanwhile by another request) rolls it back whole, and the batch is answered again item by
item, each in its own savepoint (`_item`)."""

import json
from datetime import datetime
from typing import Annotated, Any, cast

from django.db import DatabaseError, DataError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from pydantic import BaseModel, WithJsonSchema
from pydantic import ValidationError as BodyError

from salama.lib.apiaccess import api_roles
from salama.lib.clock import now
from salama.lib.fields import seal
from salama.people.models import Person, Status
from salama.safety import services, tokens
from salama.safety.api import (
    CHECKIN_ROLES,
    KEY_MAX,
    CheckInIn,
    CheckInOut,
    _checkin_out,
    _key_insert,
    _record,
    answer_checkin,
    body_hash,
    legacy_body_hash,
)
from salama.safety.checkins import RESERVED, HeldWrites, holding_writes, inserted
from salama.safety.models import IdempotencyKey
from salama.safety.tokens import gated

router = Router(tags=["safety"])

BATCH_MAX = 200


class BatchItemIn(Schema):
    """One check-in of a batch: the fields of POST /checkins and its own idempotency key."""

    key: str
    status: Status
    codename: str | None = None
    note: str = ""
    device_at: datetime | None = None
    area_id: int | None = None


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its local definitions ($defs: the status enum) put in place,
    so that it stands on its own inside the OpenAPI document."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


# Items are checked one by one (a bad one is answered 422 in its result, the others stored), so
# the body takes any objects and its schema says so: an item's shape (BatchItemIn) is documented
# beside it (`x-item-shape`, which no validator reads), not declared as a constraint the server
# does not enforce on the body.
BatchItem = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "type": "object",
            "description": "One check-in: the fields of POST /checkins and `key`; an item not of "
            "this shape is answered 422 in its own result.",
            "x-item-shape": _inlined(BatchItemIn.model_json_schema()),
        }
    ),
]


class BatchIn(Schema):
    items: list[BatchItem] = Field(
        ...,
        min_length=1,
        max_length=BATCH_MAX,
        description="Check-ins: the fields of POST /checkins and `key`, each item's own "
        "idempotency key; answered in the same order.",
    )


class BatchItemOut(Schema):
    key: str
    status: int  # the status POST /checkins would answer: 201, or 403, 404, 409, 422
    replayed: bool  # the key was used before with the same body: the first answer
    checkin: CheckInOut | None = None
    detail: str | None = None


class BatchOut(Schema):
    results: list[BatchItemOut]


def _item(request: HttpRequest, raw: dict[str, Any]) -> dict[str, Any]:
    key = str(raw.get("key", "")).strip() if isinstance(raw, dict) else ""
    if not key:
        return _refused(key, 422, _("Each check-in of a batch needs its own key."))
    try:
        item = BatchItemIn.model_validate(raw)
    except BodyError as exc:
        fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e.get("loc"))
        return _refused(key, 422, _("This check-in is not valid: %(fields)s.") % {"fields": fields})
    payload = CheckInIn(**item.model_dump(exclude={"key"}))
    try:
        # answer_checkin writes inside transaction.atomic(): here a savepoint, so what a
        # refused item did is undone and the items before it are kept.
        response = answer_checkin(request, payload, key)
    except HttpError as refused:
        return _refused(key, refused.status_code, str(refused))
    except (OverflowError, DataError):  # a number too large for its column; rolled back
        return _refused(key, 422, _("A number in this check-in is out of range."))
    return {
        "key": key,
        "status": response.status_code,
        "replayed": response.get("Idempotent-Replayed") == "true",
        "checkin": json.loads(response.content),
        "detail": None,
    }


def _refused(key: str, status: int, detail: str) -> dict[str, Any]:
    return {"key": key, "status": status, "replayed": False, "checkin": None, "detail": detail}


class _PlainItem(BaseModel):
    """BatchItemIn as a plain pydantic model for the fast pass: the same fields, types and
    defaults, without ninja's attribute getter around every field it reads."""

    key: str
    status: Status
    codename: str | None = None
    note: str = ""
    device_at: datetime | None = None
    area_id: int | None = None


class _Again(Exception):
    """The fast pass cannot answer this batch as POST /checkins would (a statement failed, an
    item was refused after it wrote, a key was claimed meanwhile): it is rolled back whole and
    the batch answered item by item, each in its own savepoint."""


class _Pass:
    """One fast pass: the answers by key (stored before, or given earlier in this batch), the
    caller's own person locked once, the keys to claim at the end."""

    def __init__(self, request: HttpRequest, raws: list[Any]) -> None:
        self.request = request
        self.org = request.org  # type: ignore[attr-defined]
        self.user_id = request.user.pk
        self.own: Person | None = None
        keys = {str(r.get("key", "")).strip() for r in raws if isinstance(r, dict)} - {""}
        self.answers: dict[str, tuple[tuple[str, ...], int, str]] = {}
        rows = IdempotencyKey.objects.for_org(self.org).filter(user_id=self.user_id, key__in=keys)
        for key, hashed, status, text in rows.values_list(
            "key", "body_hash", "status_code", "response"
        ):
            self.answers[key] = ((hashed,), status, text)
        self.claims: list[tuple[Any, ...]] = []
        self.count = len(raws)
        self.ids: list[int] | None = None  # reserved for the caller's own check-ins

    def item(self, raw: Any) -> dict[str, Any]:
        """As _item answers it, without a savepoint: nothing is written before an item is
        known to be recorded (its key looked up first, its person locked once)."""
        key = str(raw.get("key", "")).strip() if isinstance(raw, dict) else ""
        if not key:
            return _refused(key, 422, _("Each check-in of a batch needs its own key."))
        if len(key) > KEY_MAX:
            return _refused(key, 422, _("The Idempotency-Key is too long."))
        try:
            payload = _PlainItem.model_validate(raw)
        except BodyError as exc:
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e.get("loc"))
            detail = _("This check-in is not valid: %(fields)s.") % {"fields": fields}
            return _refused(key, 422, detail)
        org_id = self.org.pk
        # The body as POST /checkins hashes it (CheckInIn's fields: the key is not in it).
        canonical = json.dumps(payload.model_dump(mode="json", exclude={"key"}), sort_keys=True)
        hashed = body_hash(org_id, canonical)
        known = self.answers.get(key)
        if known is not None:
            hashes, status, text = known
            if hashed in hashes or legacy_body_hash(org_id, canonical) in hashes:
                return _answered(key, status, text, replayed=True)
            detail = _("This Idempotency-Key was used with a different request body.")
            return _refused(key, 409, detail)
        if payload.codename:
            # Recorded through its own lock (it may be the caller's own person): the next item
            # for oneself locks and reads the person again, never from a stale copy.
            self.own = None
        elif self.own is None:
            self.own = services.lock_own_person(self.org, self.request.membership)  # type: ignore[attr-defined]
        if self.own is not None and not payload.codename and RESERVED not in self.own.__dict__:
            # Its check-in's INSERT with the person's UPDATE: one statement (PostgreSQL).
            if self.ids is None:
                # Taken after the lock, used in the order of the items (ids rise with them).
                self.ids = services.reserve_checkin_ids(self.count)[::-1]
            if self.ids:
                self.own.__dict__[RESERVED] = self.ids.pop()
        written: list[int] = []
        token = inserted.set(written)
        try:
            checkin = _record(self.request, cast(CheckInIn, payload), key, self.own)
        except (HttpError, services.KeyUsed) as refused:
            if written:
                raise _Again from refused
            if isinstance(refused, HttpError):
                return _refused(key, refused.status_code, str(refused))
            if not refused.same:
                detail = _("This key was already used for a different check-in.")
                return _refused(key, 409, detail)
            text = json.dumps(_checkin_out(refused.original), default=str)
            return _answered(key, 200, text, replayed=True)
        except (OverflowError, DatabaseError) as failed:
            raise _Again from failed
        finally:
            inserted.reset(token)
        text = json.dumps(_checkin_out(checkin), default=str)
        self.answers[key] = ((hashed,), 201, text)
        self.claims.append((org_id, self.user_id, key, hashed, 201, seal(org_id, text), now()))
        return _answered(key, 201, text)

    def claim(self, held: HeldWrites) -> None:
        """Every new key with its answer, in one INSERT, written with the items' held writes
        (one statement on PostgreSQL); a key claimed meanwhile by another request fails it, and
        the batch is answered again item by item (which replays it)."""
        keys = [_key_insert.write_rows(self.claims)] if self.claims else []
        try:
            held.release(also=keys)  # no savepoint: a failure rolls the whole pass back
        except (OverflowError, DatabaseError) as failed:  # a key taken meanwhile, a bad value
            raise _Again from failed
        except Person.DoesNotExist as gone:  # not while it is locked; answered item by item
            raise _Again from gone


def _answered(key: str, status: int, text: str, replayed: bool = False) -> dict[str, Any]:
    return {
        "key": key,
        "status": status,
        "replayed": replayed,
        "checkin": json.loads(text),
        "detail": None,
    }


@router.post("/checkins/batch", response=BatchOut, auth=gated(*CHECKIN_ROLES))
@api_roles(*CHECKIN_ROLES)
def create_checkins(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    """Record many check-ins, each with its own idempotency key (`key`), answered one by one in
    the order sent, as POST /checkins would answer each (see salama.safety.batch)."""
    return tokens.confirmed(request, CHECKIN_ROLES, lambda: _answer(request, payload))


def _answer(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    try:
        with transaction.atomic(), holding_writes() as held:
            fast = _Pass(request, payload.items)
            results = [fast.item(raw) for raw in payload.items]
            fast.claim(held)
            return {"results": results}
    except _Again:
        pass
    with transaction.atomic():
        return {"results": [_item(request, raw) for raw in payload.items]}
