from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import SessionAuth
from ninja.utils import check_csrf


def api_roles(*allowed: str) -> Callable:
    """Restrict an API operation to roles in the caller's organisation. The role-matrix test reads
    `salama_roles` from every operation."""

    def decorator(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in allowed:
                raise HttpError(403, _("Your role does not allow this."))
            return func(request, *args, **kwargs)

        wrapper.salama_roles = tuple(allowed)  # type: ignore[attr-defined]
        return wrapper

    return decorator


class SignedInSession(SessionAuth):
    """Session authentication for the API: nobody signed in is 401 (not a CSRF refusal, which
    tells a program without a session nothing it can act on); a signed-in session's unsafe
    request still needs its CSRF token (403, translated)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise HttpError(403, _("The CSRF check failed: reload the page and try again."))
        return request.COOKIES.get(self.param_name)


session_auth = SignedInSession()


LOCATION = {
    "Location": {"description": "the new object's URL in this API", "schema": {"type": "string"}}
}


def pages(*url_names: str, created: bool = False) -> dict[str, Any]:
    """`openapi_extra=` of an operation that does what these pages' forms do (URL names); the
    parity test (tests/api/test_parity.py) compares them with every page's POST forms.
    `created`: the 201 answer carries `Location` (set it with `located`)."""
    extra: dict[str, Any] = {"x-salama-pages": list(url_names)}
    if created:
        extra["responses"] = {201: {"headers": LOCATION}}
    return extra


def located(response: HttpResponse, path: str) -> None:
    response["Location"] = "/api" + path


def org_of(request: HttpRequest) -> Any:
    """The caller's organisation (set by the session middleware or the token)."""
    return request.org  # type: ignore[attr-defined]


def member_of(request: HttpRequest) -> Any:
    return request.membership  # type: ignore[attr-defined]
