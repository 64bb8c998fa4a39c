"""Demo mode: the demo's org admin, coordinators and liaison have an approved authenticator app
whose current code `salama totp-code` prints; outside demo mode neither exists."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from salama.accounts.models import FallbackFactor
from salama.demo import orgs
from salama.demo.orgs import DEMO_PASSWORD


def test_demo_logins_pass_the_second_factor_with_the_printed_code(db: None, settings: Any) -> None:
    settings.DEMO = True
    orgs.load()
    orgs.load()  # idempotent
    for username in ("admin", "coordinator", "coordinator2", "liaison", "other"):
        assert orgs.demo_totp_secret(username)
    assert FallbackFactor.objects.count() == 5
    assert orgs.demo_totp_secret("staff") is None
    client = Client()
    client.post("/accounts/login/", {"username": "coordinator", "password": DEMO_PASSWORD})
    out = StringIO()
    call_command("totp_code", "coordinator", stdout=out)
    code = out.getvalue().split()[0]
    assert len(code) == 6 and code.isdigit()
    response = client.post("/accounts/verify/", {"code": code})
    assert response.status_code == 302
    assert client.get("/accounts/security/").status_code == 200


def test_totp_code_is_refused_outside_demo_mode(db: None, settings: Any) -> None:
    settings.DEMO = True
    orgs.load()
    settings.DEMO = False
    with pytest.raises(CommandError):
        call_command("totp_code", "coordinator", stdout=StringIO())


def test_no_demo_authenticators_outside_demo_mode(db: None, settings: Any) -> None:
    settings.DEMO = False
    orgs.load()
    assert not FallbackFactor.objects.exists()


def test_totp_code_refuses_users_outside_the_demo_organisations(world: Any, settings: Any) -> None:
    from tests.conftest import second_factor_device

    second_factor_device(world.users["coordinator"])
    settings.DEMO = True
    with pytest.raises(CommandError):
        call_command("totp_code", "coordinator", stdout=StringIO())
