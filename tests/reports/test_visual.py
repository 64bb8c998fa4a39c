"""The visual test of the sitrep (R1 "Done when"): the demo's internal and partner editions in
Arabic and English as PDF; page count, the Arabic text order of dates and numbers (pdftotext),
and a scan of the partner edition's text for every codename, name and number on the roster.
The PNG pages (pdftoppm) go to docs/screenshots/ only under `make screenshots`."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from salama.accounts.models import Organisation
from salama.demo.load import load_demo
from salama.lib.bidi import strip_isolates
from salama.people.models import ContactPoint, Person
from salama.reports import render
from salama.reports.models import Report
from tests.conftest import DOC_SCREENSHOTS
from tests.reports.helpers import pdf_pages, pdf_text, pdf_words

DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def _pngs(body: bytes, name: str, tmp_path: Path) -> list[Path]:
    folder = DOC_SCREENSHOTS if os.environ.get("SALAMA_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(body)
    prefix = folder / name
    for old in folder.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(pdf), str(prefix)], check=True)
    return sorted(folder.glob(f"{name}-*.png"))


@pytest.mark.django_db
def test_demo_sitreps_in_both_languages(tmp_path: Path) -> None:
    load_demo()
    org = Organisation.objects.get(slug="demo")
    zone = ZoneInfo(org.time_zone)
    codenames = list(Person.objects.for_org(org).values_list("codename", flat=True))
    names = [p.real_name for p in Person.objects.for_org(org) if p.real_name]
    numbers = [c.value for c in ContactPoint.objects.for_org(org)]
    assert codenames and names and numbers
    for edition in ("internal", "partner"):
        report = Report.objects.for_org(org).get(edition=edition)
        stamp = timezone.localtime(report.as_of, zone).strftime("%Y-%m-%d %H:%M")
        for lang in ("ar", "en"):
            body = render.render_pdf(report, lang)
            pages = pdf_pages(body, tmp_path)
            assert 1 <= pages <= (6 if edition == "internal" else 3), (edition, lang, pages)
            text = strip_isolates(
                pdf_text(body, tmp_path, f"{edition}-{lang}").translate(
                    {0x202A: None, 0x202B: None, 0x202C: None}
                )
            )
            # Dates read in order in both languages (never 05-12-2026 or 12:18 reversed): in
            # the text, and as drawn, the date stands left of its time on the same line, in
            # Arabic too (an isolated left-to-right run).
            assert stamp in text, (edition, lang)
            day, clock_time = stamp.split()
            words = pdf_words(body, tmp_path)
            dates = [(x, y) for t, x, y in words if t == day]
            times = [(x, y) for t, x, y in words if t == clock_time]
            assert dates and times
            assert any(dx < tx and abs(dy - ty) < 2 for dx, dy in dates for tx, ty in times), (
                edition,
                lang,
                dates,
                times,
            )
            assert all(DATE.fullmatch(d) for d in DATE.findall(text))
            if lang == "ar":
                assert "تقرير الوضع" in text
            if edition == "partner":
                found = [w for w in codenames + names + numbers if re.search(
                    rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", text)]  # fmt: skip
                assert not found, f"partner {lang} holds {found[:5]}"
            else:
                assert any(c in text for c in codenames)
            assert len(_pngs(body, f"sitrep-{edition}-{lang}", tmp_path)) == pages
