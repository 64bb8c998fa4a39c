"""A facility's history as an SVG chart, drawn on the server (no chart library, no script, no
inline style: presentation attributes only, which the CSP allows). Three bands share the time
axis: functionality (a step line over full / partial / none), beds occupied over total, and
the shortest days of stock (with the lowest threshold drawn as a dashed line)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from django.utils import timezone

from salama.facilities.models import StatusUpdate
from salama.facilities.vocabulary import FUNCTIONALITY_RANK, Functionality

WIDTH, BAND, GAP, LEFT, RIGHT = 640, 70, 26, 8, 8
COLOURS = {"func": "#0b5cad", "beds": "#8a6d00", "days": "#b3261e", "grid": "#c9d1d9"}


def _x(at: datetime, start: datetime, end: datetime) -> float:
    span = (end - start).total_seconds() or 1.0
    return LEFT + (WIDTH - LEFT - RIGHT) * (at - start).total_seconds() / span


def _y(value: float, top: float, high: float) -> float:
    high = high or 1.0
    return top + BAND - BAND * min(max(value, 0.0), high) / high


def _line(points: Sequence[tuple[float, float]], colour: str, step: bool = False) -> str:
    if not points:
        return ""
    coords: list[str] = []
    for i, (x, y) in enumerate(points):
        if step and i:
            coords.append(f"{x:.1f},{points[i - 1][1]:.1f}")
        coords.append(f"{x:.1f},{y:.1f}")
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for x, y in points
    )
    return (
        f'<polyline points="{" ".join(coords)}" fill="none" stroke="{colour}" '
        f'stroke-width="2"/>{dots}'
    )


def history_svg(
    updates: Sequence[StatusUpdate], labels: dict[str, str], threshold: float | None = None
) -> str:
    """The chart for ``updates`` (oldest first; late ones included at their observation time).
    ``labels``: the band titles in the viewer's language (func, beds, days)."""
    rows = sorted(updates, key=lambda u: (u.observed_at, u.pk))
    height = 3 * (BAND + GAP) + 18
    title = escape(labels.get("title", ""))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="history-chart" direction="ltr" role="img" aria-label="{title}">'
    ]
    if not rows:
        return parts[0] + "</svg>"
    start, end = rows[0].observed_at, rows[-1].observed_at
    tops = [GAP + i * (BAND + GAP) for i in range(3)]
    for key, top in zip(("func", "beds", "days"), tops, strict=True):
        parts.append(
            f'<text x="{LEFT}" y="{top - 8}" font-size="12" fill="#333">'
            f"{escape(labels.get(key, key))}</text>"
            f'<line x1="{LEFT}" y1="{top + BAND}" x2="{WIDTH - RIGHT}" y2="{top + BAND}" '
            f'stroke="{COLOURS["grid"]}"/>'
        )
    func = [(_x(u.observed_at, start, end), _y(_rank(u), tops[0], 3)) for u in rows]
    parts.append(_line(func, COLOURS["func"], step=True))
    beds_rows = [u for u in rows if u.beds_occupied is not None]
    high = max([u.beds_total or u.beds_occupied or 0 for u in beds_rows] + [1])
    beds = [
        (_x(u.observed_at, start, end), _y(u.beds_occupied or 0, tops[1], high)) for u in beds_rows
    ]
    parts.append(_line(beds, COLOURS["beds"]))
    days_rows = [(u, _min_days(u)) for u in rows]
    known = [(u, d) for u, d in days_rows if d is not None]
    top_days = max([d for _u, d in known] + [threshold or 0, 1.0])
    parts.append(
        _line(
            [(_x(u.observed_at, start, end), _y(d, tops[2], top_days)) for u, d in known],
            COLOURS["days"],
        )
    )
    if threshold is not None:
        y = _y(threshold, tops[2], top_days)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{COLOURS["days"]}" stroke-dasharray="4 3"/>'
        )
    axis_y = tops[2] + BAND + 14
    for at, x, anchor in ((start, LEFT, "start"), (end, WIDTH - RIGHT, "end")):
        stamp = timezone.localtime(at).strftime("%d/%m %H:%M")
        parts.append(
            f'<text x="{x}" y="{axis_y}" font-size="11" fill="#555" text-anchor="{anchor}">'
            f"{stamp}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _rank(update: StatusUpdate) -> float:
    return float(FUNCTIONALITY_RANK.get(Functionality(update.functionality), 0))


def _min_days(update: StatusUpdate) -> float | None:
    days = [e["days"] for e in update.stocks.values() if e.get("days") is not None]
    return min(days) if days else None
