"""Who may reach which page. Every view is decorated with `roles(...)` or `public`; the role-matrix
test reads the `salama_roles` attribute these set and walks every URL with every role."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from salama.accounts.models import Role

ALL_ROLES = tuple(Role.values)
COORDINATING = (Role.ORG_ADMIN, Role.COORDINATOR)
ORG_ADMIN_ONLY = (Role.ORG_ADMIN,)
ANY_MEMBER = ALL_ROLES

View = Callable[..., HttpResponse]


def roles(*allowed: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.salama_roles = tuple(allowed)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def public(view: View) -> View:
    view.salama_roles = "public"  # type: ignore[attr-defined]
    return view


def login_only(view: View) -> View:
    """Any signed-in user, whether or not they belong to an organisation (password change)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.salama_roles = "login"  # type: ignore[attr-defined]
    return wrapper


def has_role(request: HttpRequest, *allowed: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.role in allowed


def require_recent_second_factor(view: View) -> View:
    """Before a sensitive action (a reveal of names, key rotation, a purge, approvals of what
    is shared outside): the session must have passed a second factor within REAUTH_WINDOW
    seconds (5 minutes by default), else the user is sent to pass it again and come back.
    Put it under `roles(...)`, so the role check comes first:

        @roles(*COORDINATING)
        @require_recent_second_factor
        def reveal(request, person_id): ...

    A user with no factor of their own who is not required to have one (field staff) passes.
    Service functions and API operations call `salama.accounts.factors.has_recent_second_factor
    (request)` directly. The recent-factor page answers 403 to the API and to HTMX requests."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from salama.accounts import factors

        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        needs = factors.requires_second_factor(request.user)
        if needs and not factors.has_recent_second_factor(request):
            if request.headers.get("HX-Request") or request.path_info.startswith("/api/"):
                raise PermissionDenied
            next_url = request.get_full_path() if request.method == "GET" else _referer(request)
            query = urlencode({"reauth": "1", **({"next": next_url} if next_url else {})})
            return redirect(f"{reverse('accounts:second_factor')}?{query}")
        return view(request, *args, **kwargs)

    for attribute in ("salama_roles",):
        if hasattr(view, attribute):
            setattr(wrapper, attribute, getattr(view, attribute))
    return wrapper


def _referer(request: HttpRequest) -> str:
    """Where a refused POST came from, so the user returns to that page after the check."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return ""
