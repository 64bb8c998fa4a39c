import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from salama.lib import keyring


class Command(BaseCommand):
    help = (
        "Keyring housekeeping. `init` creates the master key if there is none. Key unlock mode "
        "(docs/operations.md): `seal` wraps the master key with a passphrase and removes the "
        "plain copy; `unlock` asks for the passphrase and leaves the key in RAM for this host's "
        "processes; `lock` forgets it; `status` says which mode the keyring is in."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["init", "seal", "unlock", "lock", "status"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "init":
            created = keyring.ensure_master_key()
            where = keyring.master_key_path()
            self.stdout.write(f"Created {where}." if created else f"A master key exists ({where}).")
        elif action == "seal":
            passphrase = getpass.getpass("New passphrase: ")
            if passphrase != getpass.getpass("Repeat it: "):
                raise CommandError("The passphrases differ.")
            try:
                where = keyring.seal(passphrase)
            except ValueError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"Sealed the master key in {where}; the plain copy is destroyed.")
            self.stdout.write("From now on run `salama keys unlock` after every start.")
        elif action == "unlock":
            if not keyring.sealed_path().exists():
                raise CommandError("The master key is not sealed: there is nothing to unlock.")
            try:
                where = keyring.unlock(getpass.getpass("Passphrase: "))
            except keyring.WrongPassphrase:
                raise CommandError("Wrong passphrase.") from None
            self.stdout.write(f"Unlocked: the key is in {where} (RAM) until `keys lock` or reboot.")
        elif action == "lock":
            keyring.lock()
            self.stdout.write("Locked: restart the web and worker processes to drop cached keys.")
        else:
            self.stdout.write(self._status())

    def _status(self) -> str:
        if keyring.sealed_path().exists():
            state = "unlocked" if keyring.unlocked_path().exists() else "locked"
            return f"Key unlock mode: sealed master key ({keyring.sealed_path()}), {state}."
        return f"Plain master key ({keyring.master_key_path()})."
