"""Django admin is for deployment superusers only (see salama.urls). It never shows encrypted
fields: models holding them register through salama.lib.admin.SafeAdmin, which excludes them."""

from django.contrib import admin

from salama.accounts.models import AuditEvent, Membership, Organisation, User
from salama.lib.admin import SafeAdmin


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
