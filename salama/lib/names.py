"""Names the organisation gives in both languages (U1 item 5): teams, areas, facilities, parties.

One rule, in one place: on an Arabic page (or in an Arabic text) the Arabic name where the
organisation gave one, otherwise the English name. Models' `__str__` and the builtin template
filter `local_name` both go through `local_name` here, so a page never picks a name itself.

A model takes part by having a `name_ar` field and an English name in `name_en` or `name`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()


def english_name(thing: Any) -> str:
    return str(getattr(thing, "name_en", None) or getattr(thing, "name", "") or "")


def local_name(thing: Any, language: str | None = None) -> str:
    """`thing`'s name in `language` (default: the active language), falling back to English."""
    if thing is None or thing == "":
        return ""
    if isinstance(thing, str):
        return thing
    if isinstance(thing, Mapping):
        return local_value(thing, "", language)
    language = (language or get_language() or "en").split("-")[0]
    arabic = getattr(thing, "name_ar", "") or ""
    return arabic if language == "ar" and arabic else english_name(thing)


def local_value(row: Mapping[str, Any], prefix: str, language: str | None = None) -> str:
    """The same rule for a `.values()` row: `prefix` + `name_ar`, else `name_en`/`name`."""
    language = (language or get_language() or "en").split("-")[0]
    arabic = row.get(f"{prefix}name_ar") or ""
    if language == "ar" and arabic:
        return str(arabic)
    return str(row.get(f"{prefix}name_en") or row.get(f"{prefix}name") or "")


@register.filter(name="local_name")
def local_name_filter(thing: Any) -> str:
    return local_name(thing)
