import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext

from salama.lib import problems

logger = logging.getLogger(__name__)


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        # A path the API does not have (or a path parameter of the wrong type): problem details
        # too, so a client reads one error shape whatever it got wrong.
        return problems.problem(404, gettext("Not found: it does not exist in your organisation."))
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: translated, with the navigation (it extends base.html, whose context
    processors draw the menu). If drawing it fails too (the database is what failed, say), a
    bare page that needs nothing but the translation catalogue."""
    try:
        return render(request, "500.html", status=500)
    except Exception:  # noqa: BLE001 — the fallback must never raise
        logger.exception("the 500 page itself failed")
        try:
            title = gettext("Something went wrong")
            body = gettext("The server could not finish this. Try again in a moment.")
        except Exception:  # noqa: BLE001
            title, body = "Something went wrong", "Try again in a moment."
        page = (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"</head><body><h1>{escape(title)}</h1><p>{escape(body)}</p>"
            "<p><a href='/'>Salama</a></p></body></html>"
        )
        return HttpResponseServerError(page, content_type="text/html; charset=utf-8")
