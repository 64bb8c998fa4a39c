"""A stored report drawn as HTML or PDF in Arabic or English, from its stored content only.

The PDF is WeasyPrint over the same HTML, with Debian's fonts found by fontconfig (Amiri and
Noto Naskh Arabic for Arabic, Noto Sans for Latin): nothing is fetched at run time (the URL
fetcher refuses every URL; the stylesheet is read from the package)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salama.reports import chart, sections
from salama.reports.labels import labels
from salama.reports.models import Report
from salama.reports.services import content_of

CSS_FILE = Path(__file__).parent / "static" / "reports" / "sitrep.css"
LANGUAGES = ("ar", "en")


def _parts(content: dict[str, Any]) -> list[dict[str, Any]]:
    known = sections.SECTIONS
    return [
        {"key": p["key"], "template": known[p["key"]].template, "data": p["data"]}
        for p in content.get("sections", [])
        if p["key"] in known
    ]


def _chart(parts: list[dict[str, Any]], words: dict[str, Any], rtl: bool) -> list[dict]:
    staff = next((p["data"] for p in parts if p["key"] == "staff"), None)
    if staff is None:
        return []
    keys = ("fresh", "overdue", "never", "NEED_HELP", "INJURED", "MISSING", "DETAINED")
    values = [(k, str(words["counts"][k]), int(staff["counts"].get(k, 0))) for k in keys]
    return chart.bars(values, rtl=rtl)


def context_of(report: Report, lang: str) -> dict[str, Any]:
    content = content_of(report)
    parts = _parts(content)
    words = labels()
    return {
        "report": report,
        "org": report.org,
        "edition": report.edition,
        "parts": parts,
        "L": words,
        "chart": _chart(parts, words, lang == "ar"),
        "lang": lang,
        "dir": "rtl" if lang == "ar" else "ltr",
    }


def render_html(
    report: Report, lang: str, *, standalone: bool = True, link_css: bool = True
) -> str:
    """The report's HTML in `lang`; standalone: a whole document (its stylesheet linked, or
    left out for the PDF, to which WeasyPrint gives it from the package)."""
    if lang not in LANGUAGES:
        lang = "en"
    with translation.override(lang), timezone.override(ZoneInfo(report.org.time_zone)):
        context = context_of(report, lang)
        context["title"] = _("Situation report")
        context["link_css"] = link_css
        name = "reports/sitrep_document.html" if standalone else "reports/_sitrep.html"
        return render_to_string(name, context)


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    class Refuse(URLFetcher):  # type: ignore[misc]
        """The sitrep fetches nothing: fonts come from fontconfig, the stylesheet from here."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"the sitrep fetches nothing: {url[:40]}")

    return Refuse(fail_on_errors=True)


def render_pdf(report: Report, lang: str) -> bytes:
    from weasyprint import CSS, HTML

    html = render_html(report, lang, link_css=False)
    fetcher = _fetcher()
    stylesheet = CSS(string=CSS_FILE.read_text(encoding="utf-8"), url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, base_url="about:blank")
    return bytes(document.write_pdf(stylesheets=[stylesheet]))
