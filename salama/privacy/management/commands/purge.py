"""`salama purge --org SLUG`: the emergency purge from the command line (salama.privacy.purge).
Asks for the organisation's short name again unless --yes."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from salama.accounts.models import Organisation
from salama.privacy.purge import purge_org


class Command(BaseCommand):
    help = (
        "Destroy an organisation's keys, then delete its personal data. Old backups become "
        "unreadable for it. Cannot be undone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation's short name")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["org"]
        org = Organisation.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organisation with the short name {slug!r}.")
        if not options["yes"]:
            self.stdout.write(
                f"This destroys the keys and deletes the personal data of {org.slug} "
                f"(organisation #{org.pk}). It cannot be undone."
            )
            try:
                typed = input("Type the organisation's short name again to confirm: ").strip()
            except EOFError:
                typed = ""
            if typed != org.slug:
                raise CommandError("Not confirmed: nothing was purged.")
        detail = purge_org(org=org)
        rows = sum(detail["rows"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Purged {slug} (now {org.slug}): keys destroyed, {rows} rows deleted, "
                f"{detail['sessions']} sessions ended, {detail['users_disabled']} logins disabled."
            )
        )
