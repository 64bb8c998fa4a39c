import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from salama.accounts.models import FallbackFactor

DEMO_ORGS = {"demo", "demo-clinics"}


class Command(BaseCommand):
    help = "Demo mode only: print the current authenticator-app code of a demo user."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("`salama totp-code` works only in demo mode (SALAMA_DEMO=1).")
        fallback = (
            FallbackFactor.objects.filter(user__username=options["username"])
            .select_related("totp")
            .first()
        )
        in_demo = (
            fallback is not None
            and set(fallback.user.memberships.values_list("org__slug", flat=True)) <= DEMO_ORGS
        )
        if fallback is None or not in_demo or not fallback.totp.confirmed:
            raise CommandError("No approved authenticator app for that demo user.")
        device = fallback.totp
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        left = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}  (valid for {left} more seconds)")
