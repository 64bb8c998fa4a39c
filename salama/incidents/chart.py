"""Incidents and casualties per month as an SVG drawn on the server (no script, no inline
style: presentation attributes only, which the CSP allows): bars for incidents, lines for
deaths and injuries, on one time axis."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 180, 30, 24, 10
COLOURS = {"incidents": "#0b5cad", "killed": "#b3261e", "injured": "#8a6d00", "grid": "#c9d1d9"}


def monthly_svg(rows: Sequence[dict[str, Any]], *, title: str, labels: dict[str, str]) -> str:
    if not rows:
        return ""
    high = max(max(r["incidents"], r["killed"], r["injured"]) for r in rows) or 1
    step = (WIDTH - LEFT - 8) / len(rows)
    plot = HEIGHT - BOTTOM - TOP

    def y(value: float) -> float:
        return TOP + plot - plot * value / high

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="chart" direction="ltr"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - 8}" y2="{y(0):.1f}" '
        f'stroke="{COLOURS["grid"]}"/>',
        f'<text x="2" y="{TOP + 8}" font-size="10" fill="#555">{high}</text>',
    ]
    lines: dict[str, list[str]] = {"killed": [], "injured": []}
    for i, row in enumerate(rows):
        x = LEFT + i * step
        bar = max(step * 0.5, 2)
        parts.append(
            f'<rect x="{x + step * 0.25:.1f}" y="{y(row["incidents"]):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(row["incidents"]):.1f}" fill="{COLOURS["incidents"]}"/>'
        )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" '
            f'fill="#555">{row["month"]:%Y-%m}</text>'
        )
        for key in lines:
            lines[key].append(f"{x + step / 2:.1f},{y(row[key]):.1f}")
    for key, points in lines.items():
        parts.append(
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{COLOURS[key]}" '
            f'stroke-width="2"/>'
        )
    legend_x = LEFT
    for key in ("incidents", "killed", "injured"):
        parts.append(
            f'<rect x="{legend_x}" y="0" width="8" height="8" fill="{COLOURS[key]}"/>'
            f'<text x="{legend_x + 11}" y="8" font-size="10">{escape(labels[key])}</text>'
        )
        legend_x += 120
    parts.append("</svg>")
    return "".join(parts)
