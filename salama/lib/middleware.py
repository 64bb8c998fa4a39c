from collections.abc import Callable
from functools import lru_cache
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver
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
    "salama.lib.middleware.SettledCSPMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]


class SettledCSPMiddleware(CSPMiddleware):
    """django-csp's middleware for the short chain: the same header, but the policy of an answer
    that changes nothing about it (no per-view policy, no nonce: every JSON answer) is built
    once per settings object instead of once per answer."""

    _settled: dict[int, tuple[Any, Any, Any]] = {}

    def process_response(self, request: HttpRequest, response: Any) -> Any:
        own = any(
            getattr(response, name, None) is not None
            for name in (
                "_csp_config", "_csp_update", "_csp_replace",
                "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro",
                "_csp_exempt", "_csp_exempt_ro",
            )
        )  # fmt: skip
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        excluding = any((p or {}).get("EXCLUDE_URL_PREFIXES") for p in (policy, report_only))
        if own or excluding or getattr(request, "_csp_nonce", None) is not None:
            return super().process_response(request, response)
        settled = self._settled.get(id(policy))
        if settled is None or settled[0] is not policy or settled[1] is not report_only:
            # A plain answer through the full logic once: its headers are the policy.
            sample = super().process_response(request, HttpResponse(status=200))
            settled = (policy, report_only, sample)
            self._settled.clear()
            self._settled[id(policy)] = settled
        for header in (HEADER, HEADER_REPORT_ONLY):
            if header in settled[2] and header not in response:
                response[header] = settled[2][header]
        return response


def _cached_resolve(resolver: Any, path: str) -> Any:
    """resolver.resolve(path), remembered for the last few hundred paths (the short chain's
    answers: a token client calls the same few paths over and over). The resolver is part of
    the key: clearing Django's URL caches gives a new one."""
    return _resolve(resolver, path)


@lru_cache(maxsize=512)
def _resolve(resolver: Any, path: str) -> Any:
    return resolver.resolve(path)


class _ShortHandler(BaseHandler):
    def resolve_request(self, request: HttpRequest) -> Any:
        if hasattr(request, "urlconf"):
            return super().resolve_request(request)
        match = _cached_resolve(get_resolver(), request.path_info)
        request.resolver_match = match
        return match


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
    handler = _ShortHandler()
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
