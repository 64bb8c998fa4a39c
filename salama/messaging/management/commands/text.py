"""`salama text --from NUMBER "MESSAGE"` (or `--as CODENAME`): one text through the inbound
path, printing the reply and what it did (`--json`: one object)."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.accounts.models import Organisation
from salama.messaging.simulator import SimulatorError, simulate


class Command(BaseCommand):
    help = "Run one text message through the inbound path, as if a gateway had received it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("message")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--from", dest="sender", help="the sender's number")
        who.add_argument("--as", dest="codename", help="a codename: their first own number")
        parser.add_argument("--org", help="organisation short name (default: the first one)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--dry-run", action="store_true", help="roll everything back afterwards"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        orgs = Organisation.objects.filter(is_active=True).order_by("pk")
        org = orgs.filter(slug=options["org"]).first() if options["org"] else orgs.first()
        if org is None:
            raise CommandError("No such organisation.")
        try:
            result = simulate(
                org=org,
                text=options["message"],
                sender=options["sender"] or "",
                codename=options["codename"] or "",
                dry_run=options["dry_run"],
            )
        except SimulatorError as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))
            return
        self.stdout.write(f"reply: {result.get('reply') or '(none)'}")
        details = [f"{k}={v}" for k, v in result.items() if v not in (None, "", [], False)]
        self.stdout.write("did: " + " ".join(d for d in details if not d.startswith("reply=")))
