"""Bidi isolation (docs/reports.md): dates, times, numbers, codenames and codes inside Arabic
text are isolated, or "2026-01-15" reads as 15-01-2026 and a phone number reverses.

- HTML and PDF: `<bdi dir="ltr">…</bdi>` (the `ltr` and `when` template filters of
  salama.reports.templatetags.bidi).
- Plain text (SMS, CSV): U+2066 LEFT-TO-RIGHT ISOLATE … U+2069 POP DIRECTIONAL ISOLATE.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString

LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
MARKS = (LRI, RLI, FSI, PDI)


def isolate(value: Any) -> str:
    """`value` as left-to-right text isolated inside plain text (SMS, CSV)."""
    return f"{LRI}{value}{PDI}"


def strip_isolates(text: str) -> str:
    for mark in MARKS:
        text = text.replace(mark, "")
    return text


def bdi(value: Any) -> SafeString:
    """`value` escaped and isolated left to right in HTML."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)
