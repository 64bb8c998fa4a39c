"""POST /checkins/batch: the check-ins of a client that syncs a queue (the offline field page, a
partner's app) in one request.

Each item is one check-in with its own idempotency key, answered as POST /checkins answers it
(same rules, same replays: `answer_checkin`), separately and in the order sent. Items run one
after another in ONE transaction, each in its own savepoint: a refused item (a bad body, an
unknown codename, a key used with another body) leaves nothing of itself and the others are
still answered; one commit for the whole batch. A key repeated inside a batch replays the first
item's answer. An error of the server itself (not of an item) fails the whole batch and stores
none of it: the client sends it again with the same keys."""

import json
from datetime import datetime
from typing import Annotated, Any

from django.db import DataError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from pydantic import ValidationError as BodyError
from pydantic import WithJsonSchema

from salama.lib.apiaccess import api_roles
from salama.people.models import Status
from salama.safety.api import CHECKIN_ROLES, CheckInIn, CheckInOut, answer_checkin
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


@router.post("/checkins/batch", response=BatchOut, auth=gated(*CHECKIN_ROLES))
@api_roles(*CHECKIN_ROLES)
def create_checkins(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    """Record many check-ins, each with its own idempotency key (`key`), answered one by one in
    the order sent, as POST /checkins would answer each (see salama.safety.batch)."""
    with transaction.atomic():
        return {"results": [_item(request, raw) for raw in payload.items]}
