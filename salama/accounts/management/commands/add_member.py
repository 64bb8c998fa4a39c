from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from salama.accounts import members
from salama.accounts.models import Organisation, Role, User


class Command(BaseCommand):
    help = (
        "Operator: add a login to an organisation with a role (audited as member.added, by "
        "operator). A new login gets a one-time password, printed once; an existing login "
        "(a person in two organisations) keeps its password. Use it for an organisation's first "
        "org admin; org admins add the others on /accounts/members/."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("org", help="the organisation's short name")
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.filter(slug=options["org"], is_active=True).first()
        if org is None:
            raise CommandError("No such organisation.")
        user = User.objects.filter(username=options["username"]).first()
        try:
            if user is not None:
                members.grant_membership(org=org, user=user, role=options["role"])
                self.stdout.write("Existing login added; its password is unchanged.")
                return
            _membership, password = members.add_member(
                org=org, username=options["username"], role=options["role"], by=None, request=None
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"Login created. One-time password (shown once): {password}")
