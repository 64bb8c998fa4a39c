"""Who may reach which page. Every view is decorated with `roles(...)` or `public`; the role-matrix
test reads the `salama_roles` attribute these set and walks every URL with every role."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

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
