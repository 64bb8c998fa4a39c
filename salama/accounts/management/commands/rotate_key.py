from typing import Any

from django.core.management.base import BaseCommand, CommandError

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.lib import keyring
from salama.lib.rekey import old_key_ids, rotate_org_key


class Command(BaseCommand):
    help = "Make a new data key for an organisation and re-encrypt everything under it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True, help="the organisation's short name")
        parser.add_argument(
            "--delete-old", action="store_true", help="delete the old data keys afterwards"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation {options['org']!r}.")
        new_id, count = rotate_org_key(org.pk)
        audit.record("rotate_key", org_id=org.pk, detail={"key": new_id, "values": count})
        self.stdout.write(f"Active key is now {new_id}; re-encrypted {count} values.")
        if options["delete_old"]:
            for key_id in old_key_ids(org.pk):
                keyring.delete_key(org.pk, key_id)
                self.stdout.write(f"Deleted old key {key_id}.")
