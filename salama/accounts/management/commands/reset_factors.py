from typing import Any

from django.core.management.base import BaseCommand, CommandError

from salama.accounts import factors
from salama.accounts.models import User


class Command(BaseCommand):
    help = (
        "Operator's last resort when no other org admin can: remove every second factor of a "
        "user and end their sessions (audited as factors_reset, by operator)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No such user.")
        removed = factors.reset_factors(target=user)
        self.stdout.write(f"Removed {removed} second factors; the user's sessions have ended.")
