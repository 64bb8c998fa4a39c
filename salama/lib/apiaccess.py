from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError


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
