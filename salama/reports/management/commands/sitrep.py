"""`salama sitrep --org ORG --lang ar|en --edition internal|partner --out FILE.pdf`: write a
report now (the same service as the page and the worker, audited) and save its PDF (or its
HTML, when FILE ends in .html)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.accounts.models import Organisation
from salama.reports import render, services


class Command(BaseCommand):
    help = "Write a situation report now and save it as PDF (or HTML)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation's short name")
        parser.add_argument("--lang", choices=render.LANGUAGES, default="en")
        parser.add_argument("--edition", choices=("internal", "partner"), default="internal")
        parser.add_argument("--out", required=True, help="FILE.pdf or FILE.html")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(slug=options["org"], is_active=True).first()
        if org is None:
            raise CommandError(f"No organisation with the short name {options['org']!r}.")
        out = Path(options["out"])
        report = services.generate_report(org=org, edition=options["edition"])
        if out.suffix == ".html":
            out.write_text(render.render_html(report, options["lang"]), encoding="utf-8")
            fmt = "html"
        else:
            out.write_bytes(render.render_pdf(report, options["lang"]))
            fmt = "pdf"
        services.record_download(
            report=report, fmt=fmt, lang=options["lang"], by=None, request=None
        )
        self.stdout.write(self.style.SUCCESS(f"Report {report.pk} written to {out}"))
