"""Django admin is for deployment superusers only, and off unless SALAMA_DEPLOYMENT_ADMIN turns
it on (`guard`, applied in salama.urls). It never shows encrypted fields: models holding them
register through salama.lib.admin.SafeAdmin, which excludes them. Organisation admins manage
their members on Salama's own pages (/accounts/members/), so daily work never needs it."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from salama.accounts.models import AuditEvent, Membership, Organisation, User
from salama.lib.admin import SafeAdmin


def may_use(request: HttpRequest) -> bool:
    """An active superuser whose session passed the second factor (the same one coordinators
    pass; salama.accounts.factors.requires_second_factor asks every superuser for it)."""
    from salama.accounts import factors

    user = request.user
    return bool(user.is_active and user.is_superuser and factors.is_verified(request))


def login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Django's own admin login form has no rate limit or second factor: never serve it.
    Everyone goes through Salama's login page instead."""
    if not settings.DEPLOYMENT_ADMIN:
        raise Http404
    if may_use(request):
        return redirect("admin:index")
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or "/deployment-admin/")


def guard(site: admin.AdminSite) -> None:
    """Put `site` behind the setting, Salama's login and the second factor. Call before
    `site.urls` is read: every admin view but the login is wrapped by `admin_view` then."""
    wrap_view = site.admin_view

    def admin_view(view: Callable[..., HttpResponse], cacheable: bool = False) -> Any:
        inner = wrap_view(view, cacheable)

        @wraps(inner)
        def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not settings.DEPLOYMENT_ADMIN:
                raise Http404
            if not may_use(request):
                if request.user.is_authenticated:
                    raise PermissionDenied
                return redirect_to_login(request.get_full_path())
            return inner(request, *args, **kwargs)

        return gated

    site.admin_view = admin_view  # type: ignore[method-assign,assignment]
    site.has_permission = may_use  # type: ignore[method-assign]
    site.login = login  # type: ignore[method-assign,assignment]


@admin.register(Organisation)
class OrganisationAdmin(SafeAdmin):
    list_display = ("slug", "name", "time_zone", "is_active")


@admin.register(User)
class UserAdmin(SafeAdmin):
    list_display = ("username", "is_active", "is_superuser", "language")
    exclude = ("password",)


@admin.register(Membership)
class MembershipAdmin(SafeAdmin):
    list_display = ("user", "org", "role", "is_active")


@admin.register(AuditEvent)
class AuditEventAdmin(SafeAdmin):
    list_display = ("at", "action", "org_id", "actor_id", "object_type", "object_id")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
