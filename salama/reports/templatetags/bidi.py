"""Template filters for bidi isolation (salama.lib.bidi). The rule for report templates: every
date, time, number, codename and code goes through `ltr` or `when`; tests/reports check the
text order of the rendered PDF and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from salama.lib.bidi import bdi

register = template.Library()


@register.filter
def ltr(value: Any) -> SafeString | str:
    """A number, codename or code, isolated left to right ("" stays empty)."""
    if value is None or value == "":
        return ""
    return bdi(value)


@register.filter
def when(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> SafeString | str:
    """An ISO time string (as stored in a report) or a datetime, in the active time zone,
    isolated left to right."""
    if not value:
        return ""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return bdi(timezone.localtime(at).strftime(fmt))


@register.filter
def signed(value: Any) -> SafeString:
    """A change since the last report: +3, -2 (isolated)."""
    number = int(value)
    return bdi(f"+{number}" if number > 0 else str(number))


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key, mapping.get(str(key)))
    return None
