"""One error body for the whole API: RFC 9457 problem details (`application/problem+json`).

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "<translated, says what to do>", "errors": [...]}   # errors: validation only

`type` is `about:blank` (the status code says what kind of problem it is) except where a client
can act on a finer kind (`/api/problems/<slug>`, listed in docs/api.md). `title` is the status
phrase, `detail` the translated sentence for a person — callers read `detail`, as they did before
problem details. `register(api)` installs the handlers on a NinjaAPI, so every router added to it
(new apps too) answers errors in this shape; `document(schema)` lists the error answers in the
OpenAPI schema with this media type.
"""

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

log = logging.getLogger("salama.api")

MEDIA_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `detail` is translated (Accept-Language).",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}


class Problem(Schema):
    """Declare an error answer: `response={201: Out, **errors(404, 409)}`."""

    type: str
    title: str
    status: int
    detail: str


def errors(*codes: int) -> dict[int, type[Problem]]:
    return dict.fromkeys(codes, Problem)


class Conflict(HttpError):
    """409: the request is well formed but the state does not allow it now."""

    def __init__(self, message: str) -> None:
        super().__init__(409, message)


def problem(
    status: int, detail: str, *, kind: str = "", headers: dict[str, str] | None = None, **extra: Any
) -> HttpResponse:
    body = {
        "type": f"/api/problems/{kind}" if kind else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str), status=status, content_type=MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type"))}
        for e in exc.errors
    ]
    where = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:3])
    detail = _("The request is not valid: check %(fields)s.") % {"fields": where or "body"}
    return problem(422, detail, kind="validation", errors=errors)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    detail = str(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, AuthenticationError) and detail in ("", "Unauthorized"):
        detail = _("Sign in, or send a valid API token (Authorization: Bearer …).")
    if isinstance(exc, Throttled):
        detail = _("Too many requests: wait, then try again.")
        if exc.wait:
            headers["Retry-After"] = str(int(exc.wait))
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return problem(status, detail, headers=headers)


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(404, _("Not found: it does not exist in your organisation."))


def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem(403, _("Your role does not allow this."))


def _invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return problem(422, " ".join(exc.messages))


def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Numbers too large for a database column are the caller's error, never a 5xx (fuzzing).
    log.warning("input out of range", extra={"error": type(exc).__name__})
    return problem(422, _("A value in the request is out of range."), kind="out-of-range")


def _conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    log.warning("integrity error answered 409", extra={"error": type(exc).__name__})
    return problem(409, _("This conflicts with what is already recorded."), kind="conflict")


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API server error")
    return problem(500, _("The server could not finish this. Try again in a moment."))


HANDLERS: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
    (Exception, _server_error),
    (Http404, _not_found),
    (PermissionDenied, _forbidden),
    (HttpError, _http_error),
    (ValidationError, _validation),
    (DjangoValidationError, _invalid),
    (OverflowError, _out_of_range),
    (DataError, _out_of_range),
    (IntegrityError, _conflict),
]


def register(api: Any) -> None:
    """Install the handlers on a NinjaAPI (ninja picks the most specific class of an error)."""
    for exc_class, handler in HANDLERS:
        api.add_exception_handler(exc_class, handler)


def document(schema: dict[str, Any], defaults: Callable[[str, str, dict], set[int]]) -> None:
    """Give every operation's error answers (its declared ones and `defaults(method, path, op)`)
    the problem media type and schema, with the status phrase as description."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = {str(c): v for c, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            codes = {int(c) for c in responses if c.isdigit()}
            for code in sorted(codes | defaults(method, path, operation)):
                if code < 400:
                    continue
                responses[str(code)] = {
                    "description": HTTPStatus(code).phrase,
                    "content": {MEDIA_TYPE: {"schema": ref}},
                }
