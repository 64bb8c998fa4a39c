from django.db import transaction

from salama.accounts.models import Membership, Organisation, Role, User
from salama.accounts.services import create_organisation

DEMO_PASSWORD = "salama-demo-only"  # noqa: S105 - printed by `make demo`; demo mode only

DEMO_USERS = [
    # username, role, language
    ("admin", Role.ORG_ADMIN, "en"),
    ("coordinator", Role.COORDINATOR, "en"),
    ("coordinator2", Role.COORDINATOR, "ar"),
    ("liaison", Role.LIAISON, "en"),
    ("lead", Role.FIELD_LEAD, "ar"),
    ("staff", Role.STAFF, "ar"),
    ("observer", Role.OBSERVER, "en"),
]


@transaction.atomic
def load() -> None:
    main = Organisation.objects.filter(slug="demo").first() or create_organisation(
        name="Demo Medical Relief Union", slug="demo", time_zone="Asia/Damascus"
    )
    other = Organisation.objects.filter(slug="demo-clinics").first() or create_organisation(
        name="Demo Clinics Network", slug="demo-clinics", time_zone="Europe/Istanbul"
    )
    for username, role, language in DEMO_USERS:
        _user(username, language, main, role)
    _user("other", "en", other, Role.COORDINATOR)


def _user(username: str, language: str, org: Organisation, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
        user.language = language
        user.save(update_fields=["language"])
    Membership.objects.get_or_create(user=user, org=org, defaults={"role": role})
    return user
