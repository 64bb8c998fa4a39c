from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)


def security_headers(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Headers Django's SecurityMiddleware does not set. Pages are never cached by shared caches:
    they carry people's states."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return middleware


# The short chain of a token-authenticated API request (api_dispatch): the same security headers
# as every answer, the language from Accept-Language; no sessions, CSRF, messages, second-factor
# page checks or HTMX (a bearer token is its own authentication: salama.safety.tokens).
TOKEN_API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "salama.lib.middleware.security_headers",
    "csp.middleware.CSPMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


def _is_signed_webhook(request: HttpRequest) -> bool:
    """A gateway's webhook (salama.messaging.webhooks): authenticated by its signature, never
    by a session, so it takes the same short chain."""
    return (
        request.path_info.startswith("/messaging/hooks/")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _is_token_api(request: HttpRequest) -> bool:
    """An API request that authenticates with a bearer token and carries no session (a page's
    own call, with its session and CSRF token, keeps the whole stack)."""
    return (
        request.path_info.startswith("/api/")
        and request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _short_chain(names: list[str]) -> Callable[[HttpRequest], HttpResponse]:
    """Django's own innermost step (resolve the URL, call the view) wrapped in `names`, as the
    handler wraps it in MIDDLEWARE; none of these has view or exception hooks."""
    handler = BaseHandler()
    handler._view_middleware = []  # type: ignore[attr-defined]
    handler._template_response_middleware = []  # type: ignore[attr-defined]
    handler._exception_middleware = []  # type: ignore[attr-defined]
    chain: Any = convert_exception_to_response(handler._get_response)  # type: ignore[attr-defined]
    for name in reversed(names):
        middleware = import_string(name)(chain)
        assert not any(
            hasattr(middleware, hook)
            for hook in ("process_view", "process_exception", "process_template_response")
        ), name
        chain = convert_exception_to_response(middleware)
    return chain  # type: ignore[no-any-return]


def api_dispatch(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """First in MIDDLEWARE: a token-authenticated API request takes the short chain
    (TOKEN_API_MIDDLEWARE); everything else the whole stack. The API's check-in is paid for per
    request, and most of the stack is for pages (docs/benchmarks.md)."""
    from django.contrib.auth.models import AnonymousUser  # the apps are loaded by now

    short = _short_chain(TOKEN_API_MIDDLEWARE)

    def middleware(request: HttpRequest) -> HttpResponse:
        if not (_is_token_api(request) or _is_signed_webhook(request)):
            return get_response(request)
        # What the full stack would leave on a request before the API authenticates it.
        request.user = AnonymousUser()
        request.org = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        return short(request)

    return middleware
