"""``salama incidents draft [--json] [--org SLUG] "TEXT"``: the draft Salama proposes from a
field message or a news report (salama.incidents.drafting), for scripts and tests. Areas come
from the organisation given (default: the only or the first organisation)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.accounts.models import Organisation
from salama.incidents import drafting
from salama.people.models import Area


class Command(BaseCommand):
    help = "Attacks on health care: propose a draft from text (draft)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        draft = sub.add_parser("draft", help="propose a draft from a text")
        draft.add_argument("text")
        draft.add_argument("--json", action="store_true", help="print one JSON object")
        draft.add_argument("--org", default="", help="the organisation's slug (its areas)")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.order_by("pk")
        if options["org"]:
            org = org.filter(slug=options["org"])
        found = org.first()
        if options["org"] and found is None:
            raise CommandError(f"unknown organisation {options['org']}")
        areas = list(Area.objects.for_org(found)) if found else []
        result = drafting.draft(options["text"], areas=areas)
        out = {
            "date": result.occurred_on.isoformat() if result.occurred_on else None,
            "area": result.area.name_en if result.area else None,  # type: ignore[attr-defined]
            "attack_types": result.attack_types,
            "killed": result.killed,
            "injured": result.injured,
            "findings": [
                {"field": f.field, "start": f.start, "end": f.end} for f in result.findings
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            for key, value in out.items():
                if key != "findings":
                    self.stdout.write(f"{key}: {value}")
