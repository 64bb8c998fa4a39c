from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from salama.lib.fields import encrypted_fields


class SafeAdmin(admin.ModelAdmin):
    """A ModelAdmin that never shows, lists or edits encrypted fields."""

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*(super().get_exclude(request, obj) or []), *encrypted_fields(self.model)]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)
