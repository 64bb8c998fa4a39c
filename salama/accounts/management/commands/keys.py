from typing import Any

from django.core.management.base import BaseCommand

from salama.lib import keyring


class Command(BaseCommand):
    help = "Keyring housekeeping: `salama keys init` creates the master key if there is none."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["init"])

    def handle(self, *args: Any, **options: Any) -> None:
        created = keyring.ensure_master_key()
        where = keyring.master_key_path()
        self.stdout.write(f"Created {where}." if created else f"A master key exists ({where}).")
