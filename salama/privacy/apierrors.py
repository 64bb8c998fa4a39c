"""Hostile input that gets past the API's schema: a number beyond what the database column can
hold (SQLite raises OverflowError, PostgreSQL DataError) is the caller's error, answered 422,
never a server error. Found by tests/fuzz/test_api_schemathesis.py; registered in salama/api.py."""

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

log = logging.getLogger("salama.api")


def out_of_range(request: HttpRequest, exc: Any) -> HttpResponse:
    log.warning("input out of range", extra={"error": type(exc).__name__})
    return JsonResponse({"detail": _("A value in the request is out of range.")}, status=422)
