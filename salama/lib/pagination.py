"""Cursor pagination for the API's lists (keyset: stable while rows are added, no OFFSET scan).

A list operation takes `Query[PageQuery]` (or a schema that extends it) and a ninja `response:
HttpResponse`, and returns `paginate(...)`: at most `limit` rows after the cursor. When more
follow, the answer carries `Link: <…?cursor=…>; rel="next"` (RFC 8288) and `Next-Cursor`; the
body stays a plain list. A cursor is signed (a client cannot forge a position into rows it may not
list) and carries the ordering fields' values of the page's last row; a bad cursor is 422.
"""

from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import HttpError

SALT = "salama.api.cursor"
MAX_LIMIT = 1000

HEADERS: dict[str, Any] = {
    "Link": {
        "description": 'RFC 8288: <url>; rel="next" when more rows follow',
        "schema": {"type": "string"},
    },
    "Next-Cursor": {
        "description": "the cursor of the next page, when more rows follow",
        "schema": {"type": "string"},
    },
}
# openapi_extra= for a list operation (answer 200): the headers above, declared.
PAGED: dict[str, Any] = {"responses": {200: {"headers": HEADERS}}}


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=500, description="from the previous Next-Cursor")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)


def _after(order: tuple[str, ...], values: list[Any]) -> Q:
    """Rows after `values` in `order` ("-field" descending): (a > x) or (a = x and b > y)..."""
    condition = Q()
    equal = Q()
    for name, value in zip(order, values, strict=True):
        field = name.lstrip("-")
        step = Q(**{f"{field}__{'lt' if name.startswith('-') else 'gt'}": value})
        condition |= equal & step
        equal &= Q(**{field: value})
    return condition


def _decode(model: type[Model], order: tuple[str, ...], cursor: str) -> list[Any]:
    try:
        raw = signing.loads(cursor, salt=SALT)
        if not isinstance(raw, list) or len(raw) != len(order):
            raise ValueError
        return [
            model._meta.get_field(name.lstrip("-")).to_python(value)  # type: ignore[union-attr]
            for name, value in zip(order, raw, strict=True)
        ]
    except (signing.BadSignature, ValueError, TypeError, ValidationError, FieldDoesNotExist) as exc:
        raise HttpError(422, _("This cursor is not valid: start again without one.")) from exc


def _encode(row: Model, order: tuple[str, ...]) -> str:
    values = []
    for name in order:
        value = getattr(row, name.lstrip("-"))
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return signing.dumps(values, salt=SALT)


def paginate(
    request: HttpRequest,
    response: HttpResponse,
    query: QuerySet,
    page: PageQuery,
    order: tuple[str, ...] = ("-id",),
) -> list[Any]:
    """`order` must end with a unique field (the id) so that the position is exact."""
    query = query.order_by(*order)
    if page.cursor:
        query = query.filter(_after(order, _decode(query.model, order, page.cursor)))
    rows = list(query[: page.limit + 1])
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        cursor = _encode(rows[-1], order)
        params = {k: v for k, v in request.GET.items() if k != "cursor"}
        url = (
            request.build_absolute_uri(request.path) + "?" + urlencode({**params, "cursor": cursor})
        )
        response["Link"] = f'<{url}>; rel="next"'
        response["Next-Cursor"] = cursor
    return rows
