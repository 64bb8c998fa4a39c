from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from salama.accounts.services import create_organisation


class Command(BaseCommand):
    help = "Create an organisation and its keys; then `salama add-member` its first org admin."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug", help="short name, e.g. relief")
        parser.add_argument("name")
        parser.add_argument("--time-zone", default="Asia/Damascus")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            org = create_organisation(
                name=options["name"], slug=options["slug"], time_zone=options["time_zone"]
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Organisation {org.slug} created (id {org.pk}).")
