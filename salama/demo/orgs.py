from base64 import b32encode

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.accounts.models import (
    FallbackApproval,
    FallbackFactor,
    Membership,
    Organisation,
    Role,
    User,
)
from salama.accounts.services import create_organisation
from salama.lib import clock

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
# Demo users whose role needs a second factor get an approved authenticator app (demo mode only).
DEMO_SECOND_FACTOR = ["admin", "coordinator", "coordinator2", "liaison", "other"]


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
    if settings.DEMO:
        for username in DEMO_SECOND_FACTOR:
            _demo_authenticator(User.objects.get(username=username))


def _demo_authenticator(user: User) -> None:
    """Demo mode only: an approved authenticator app, so the demo logins work without a security
    key (`make demo` prints the secret; `salama totp-code USERNAME` prints the current code)."""
    if FallbackFactor.objects.filter(user=user).exists():
        return
    totp = TOTPDevice.objects.create(user=user, name="fallback", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    fallback = FallbackFactor.objects.create(
        user=user, totp=totp, recovery=recovery, proven_at=clock.now(), approved_at=clock.now()
    )
    # Approved by each of the user's organisations, as their admins would (it counts per org).
    for org_id in user.memberships.values_list("org_id", flat=True):
        FallbackApproval.objects.create(org_id=org_id, fallback=fallback)


def demo_totp_secret(username: str) -> str | None:
    fallback = FallbackFactor.objects.filter(user__username=username).select_related("totp").first()
    if fallback is None or not fallback.totp.confirmed:
        return None
    return b32encode(fallback.totp.bin_key).decode().rstrip("=")


def _user(username: str, language: str, org: Organisation, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=DEMO_PASSWORD)
        user.language = language
        user.save(update_fields=["language"])
    Membership.objects.get_or_create(user=user, org=org, defaults={"role": role})
    return user
