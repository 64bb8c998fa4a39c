"""The bidi rule: a date and time inside Arabic text, drawn by WeasyPrint, reads in order only
when isolated (the `when` filter); without it the same text comes out as 12:43 05-12-2026.
Plain text (SMS, CSV) isolates with U+2066 ... U+2069."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.template import Context, Template
from django.utils import timezone

from salama.lib.bidi import LRI, PDI, isolate, strip_isolates
from tests.reports.helpers import pdf_words

AT = datetime(2026, 12, 5, 12, 43, tzinfo=UTC)


def _draw(fragment: str, tmp_path: Path) -> list[tuple[str, float, float]]:
    from weasyprint import HTML

    html = f'<html dir="rtl"><body><p>حتى {fragment} انتهى</p></body></html>'
    return pdf_words(HTML(string=html).write_pdf(), tmp_path)


def _order(words: list[tuple[str, float, float]]) -> list[str]:
    return [t for t, _x, _y in sorted(words, key=lambda w: w[1]) if any(c.isdigit() for c in t)]


def test_when_filter_isolates_so_the_date_reads_in_order(tmp_path: Path) -> None:
    with timezone.override(UTC):
        isolated = Template("{% load bidi %}{{ at|when }}").render(Context({"at": AT.isoformat()}))
    assert isolated == '<bdi dir="ltr">2026-12-05 12:43</bdi>'
    assert _order(_draw(isolated, tmp_path)) == ["2026-12-05", "12:43"]
    # The same text without isolation is drawn out of order: the rule is needed.
    assert _order(_draw("2026-12-05 12:43", tmp_path)) != ["2026-12-05", "12:43"]


def test_numbers_codenames_and_changes_are_isolated() -> None:
    out = Template("{% load bidi %}{{ n|ltr }} {{ c|ltr }} {{ d|signed }} {{ e|ltr }}").render(
        Context({"n": 12, "c": "K<12>", "d": -3, "e": ""})
    )
    assert out == (
        '<bdi dir="ltr">12</bdi> <bdi dir="ltr">K&lt;12&gt;</bdi> <bdi dir="ltr">-3</bdi> '
    )


def test_plain_text_isolates() -> None:
    assert isolate("+963944000110") == f"{LRI}+963944000110{PDI}"
    assert strip_isolates(f"رقم {isolate('K12')}") == "رقم K12"
