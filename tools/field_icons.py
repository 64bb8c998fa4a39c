"""Draw the field page's neutral app icons as PNG (192 and 512 pixels) with Pillow.

The three icons (notes, leaf, sun) are the same plain pictures as the SVGs next to them in
salama/safety/static/safety/icons/: nothing of any organisation. Drawn on a 64-unit grid like
the SVGs, four times larger than needed, then scaled down (smooth edges), then reduced to a
small palette so each file stays a few kilobytes. The PNGs are committed; run this again only
after changing a drawing:

    python tools/field_icons.py            # writes <name>-192.png and <name>-512.png
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent.parent / "salama" / "safety" / "static" / "safety" / "icons"
SIZES = (192, 512)
OVERSAMPLE = 4

Pen = Callable[[float], float]
Point = tuple[float, float]


def _stroke(draw: ImageDraw.ImageDraw, u: Pen, points: list[Point], width: float, ink: str) -> None:
    """A line through `points` with round ends and joins (as the SVGs' stroke-linecap)."""
    half = width / 2
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        nx, ny = -(y2 - y1) / length * half, (x2 - x1) / length * half
        corners = [(x1 + nx, y1 + ny), (x2 + nx, y2 + ny), (x2 - nx, y2 - ny), (x1 - nx, y1 - ny)]
        draw.polygon([(u(x), u(y)) for x, y in corners], fill=ink)
    for x, y in points:
        draw.ellipse((u(x - half), u(y - half), u(x + half), u(y + half)), fill=ink)


def _curve(a: Point, b: Point, c: Point, d: Point, steps: int = 24) -> list[Point]:
    """A cubic Bezier curve from a to d (b, c: its control points), as points."""
    found = []
    for i in range(steps + 1):
        t = i / steps
        s = 1 - t
        found.append(
            (
                s**3 * a[0] + 3 * s * s * t * b[0] + 3 * s * t * t * c[0] + t**3 * d[0],
                s**3 * a[1] + 3 * s * s * t * b[1] + 3 * s * t * t * c[1] + t**3 * d[1],
            )
        )
    return found


def _tile(draw: ImageDraw.ImageDraw, u: Pen, paper: str) -> None:
    draw.rounded_rectangle((0, 0, u(64) - 1, u(64) - 1), radius=u(12), fill=paper)


def _notes(draw: ImageDraw.ImageDraw, u: Pen) -> None:
    _tile(draw, u, "#f4f1e8")
    for y, end in ((18, 46), (28, 46), (38, 38)):
        _stroke(draw, u, [(18, y), (end, y)], 4, "#6b6b6b")


def _leaf(draw: ImageDraw.ImageDraw, u: Pen) -> None:
    _tile(draw, u, "#eef5ea")
    # The leaf: from its stalk end (16, 48) up to its tip (50, 14) and back, two curves.
    edge = _curve((16, 48), (16, 26), (30, 16), (50, 14))
    edge += _curve((50, 14), (48, 34), (38, 48), (16, 48))[1:]
    draw.polygon([(u(x), u(y)) for x, y in edge], fill="#7aa36b")
    _stroke(draw, u, edge, 3, "#4f7a44")
    _stroke(draw, u, [(16, 48), (36, 28)], 3, "#4f7a44")


def _sun(draw: ImageDraw.ImageDraw, u: Pen) -> None:
    _tile(draw, u, "#fdf6e3")
    draw.ellipse((u(21), u(21), u(43), u(43)), fill="#e8b33c")
    rays = ((32, 8, 32, 16), (32, 48, 32, 56), (8, 32, 16, 32), (48, 32, 56, 32))
    rays += ((15, 15, 21, 21), (43, 43, 49, 49), (15, 49, 21, 43), (43, 21, 49, 15))
    for x1, y1, x2, y2 in rays:
        _stroke(draw, u, [(x1, y1), (x2, y2)], 4, "#e8b33c")


DRAWINGS = {"notes": _notes, "leaf": _leaf, "sun": _sun}


def draw(name: str, size: int) -> Image.Image:
    big = size * OVERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))

    def unit(v: float) -> float:
        return v * big / 64

    DRAWINGS[name](ImageDraw.Draw(image), unit)
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    return small.quantize(colors=32, method=Image.Quantize.FASTOCTREE)


def main(target: Path = HERE) -> list[Path]:
    written = []
    for name in DRAWINGS:
        for size in SIZES:
            path = target / f"{name}-{size}.png"
            draw(name, size).save(path, optimize=True)
            written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path, path.stat().st_size)
