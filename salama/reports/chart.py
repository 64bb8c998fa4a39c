"""The sitrep's accountability chart, drawn on the server as SVG (no script, no inline style:
presentation attributes only). WeasyPrint does not shape Arabic inside SVG text, so the chart
is a table: each row's label and count are HTML (shaped, the count isolated left to right) and
its bar a small SVG, growing from the reading side (from the right in Arabic)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 260, 14
COLOURS = ("#1a7f37", "#9a6700", "#6e7781", "#b3261e", "#0b5cad", "#8250df", "#57606a")


def bar_svg(key: str, count: int, high: int, colour: str, rtl: bool) -> str:
    width = WIDTH * count / max(high, 1)
    x = WIDTH - width if rtl else 0.0
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" class="sitrep-bar" aria-hidden="true">'
        f'<rect class="bar-{escape(key)}" x="{x:.1f}" y="0" width="{width:.1f}" '
        f'height="{HEIGHT}" fill="{colour}"/></svg>'
    )


def bars(values: Sequence[tuple[str, str, int]], rtl: bool = False) -> list[dict[str, Any]]:
    """Rows for the chart table: label, count, and the bar's SVG (safe: numbers and a class)."""
    high = max([n for _k, _l, n in values] + [1])
    return [
        {
            "label": label,
            "count": count,
            "svg": mark_safe(bar_svg(key, count, high, COLOURS[i % len(COLOURS)], rtl)),  # noqa: S308
        }
        for i, (key, label, count) in enumerate(values)
    ]
