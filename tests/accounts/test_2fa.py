"""Second factors: who must pass one, the TOTP fallback an org admin approves, resets, and
re-authentication before sensitive actions."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.accounts import factors
from salama.accounts.models import AuditEvent, FallbackFactor, UserSession
from salama.lib import clock
from tests.conftest import PASSWORD, client_for, current_code, second_factor_device


def reaches_pages(client: Client) -> bool:
    response = client.get("/accounts/security/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def password_login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("username", ["coordinator", "org_admin", "liaison"])
def test_coordinating_roles_cannot_reach_any_page_before_a_second_factor(
    world: Any, username: str
) -> None:
    client = password_login(username)
    for path in ("/", "/accounts/members/", "/accounts/security/", "/people/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/verify/"), path
    assert client.get("/api/me").status_code == 403
    # The second-factor page itself, the language switch and logout stay reachable.
    page = client.get("/accounts/verify/")
    assert page.status_code == 200
    assert b"passkey-registration-placeholder" in page.content
    assert client.post("/accounts/logout/").status_code == 302


def test_login_sends_a_coordinator_to_the_second_factor_page(world: Any) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "coordinator", "password": PASSWORD, "next": "/people/"}
    )
    assert response["Location"] == "/accounts/verify/?next=%2Fpeople%2F"


def test_field_staff_without_a_factor_are_not_asked_for_one(world: Any) -> None:
    client = password_login("staff")
    assert reaches_pages(client)
    assert client.get("/api/me").status_code == 200


def test_staff_who_enrolled_a_factor_are_asked_for_it(world: Any) -> None:
    second_factor_device(world.users["staff"])
    client = password_login("staff")
    assert client.get("/")["Location"].startswith("/accounts/verify/")


def test_approved_app_code_passes_and_is_not_accepted_twice(world: Any) -> None:
    device = second_factor_device(world.users["coordinator"])
    client = password_login("coordinator")
    code = current_code(device)
    response = client.post("/accounts/verify/?next=/people/", {"code": code, "next": "/people/"})
    assert response.status_code == 302 and response["Location"] == "/people/"
    assert reaches_pages(client)
    assert AuditEvent.objects.filter(action="second_factor", actor_id=device.user_id).exists()
    # The same code in another session is refused (replay).
    other = password_login("coordinator")
    refused = other.post("/accounts/verify/", {"code": code})
    assert refused.status_code == 200 and "not valid" in refused.content.decode()
    assert not reaches_pages(other)


def test_a_pending_app_is_unusable_until_an_org_admin_approves_it(world: Any) -> None:
    user = world.users["coordinator"]
    client = password_login("coordinator")
    page = client.post("/accounts/verify/app/", {"action": "start"})
    assert page.status_code == 302
    fallback = FallbackFactor.objects.get(user=user)
    assert not fallback.totp.confirmed and not fallback.recovery.confirmed
    setup = client.get("/accounts/verify/app/").content.decode()
    assert "totp-secret" in setup
    codes = factors.recovery_codes(fallback)
    assert len(codes) == factors.RECOVERY_CODES and codes[0] in setup

    # Proving the code does not make it usable.
    client.post("/accounts/verify/app/", {"action": "prove", "code": current_code(fallback.totp)})
    fallback.refresh_from_db()
    assert fallback.proven_at is not None and fallback.is_pending
    assert (
        client.post("/accounts/verify/", {"code": current_code(fallback.totp)}).status_code == 200
    )
    assert client.post("/accounts/verify/", {"code": codes[0]}).status_code == 200
    assert not reaches_pages(client)
    # The secret is never shown again once proven.
    assert "totp-secret" not in client.get("/accounts/verify/app/").content.decode()

    admin = client_for(world.users["org_admin"])
    membership = user.memberships.get(org=world.org)
    listing = admin.get("/accounts/members/").content.decode()
    assert "waiting for approval" in listing
    admin.post(f"/accounts/members/{membership.pk}/approve-app/")
    fallback.refresh_from_db()
    assert fallback.approved_at is not None and fallback.approved_by == world.users["org_admin"]
    assert AuditEvent.objects.filter(action="fallback_approved", object_id=str(user.pk)).exists()

    # A recovery code works once.
    assert client.post("/accounts/verify/", {"code": codes[0]}).status_code == 302
    assert reaches_pages(client)
    again = password_login("coordinator")
    assert again.post("/accounts/verify/", {"code": codes[0]}).status_code == 200
    assert not reaches_pages(again)


def test_admins_cannot_approve_or_reset_their_own_factors_or_another_orgs(world: Any) -> None:
    admin_user = world.users["org_admin"]
    admin = client_for(admin_user)
    own = admin_user.memberships.get(org=world.org)
    response = admin.post(f"/accounts/members/{own.pk}/reset/", follow=True)
    assert "Another organisation admin" in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin_user, confirmed=True).exists()
    assert not factors.admin_can_manage(admin_user, admin_user, world.org.pk)
    outsider = world.users["outsider"].memberships.get()
    assert admin.post(f"/accounts/members/{outsider.pk}/approve-app/").status_code == 404
    assert admin.post(f"/accounts/members/{outsider.pk}/reset/").status_code == 404
    assert not AuditEvent.objects.filter(action="factors_reset").exists()


def test_coordinators_cannot_manage_factors(world: Any, clients: dict) -> None:
    member = world.users["staff"].memberships.get(org=world.org)
    assert clients["coordinator"].get("/accounts/members/").status_code == 403
    assert clients["coordinator"].post(f"/accounts/members/{member.pk}/reset/").status_code == 403


def test_reset_removes_every_factor_ends_sessions_and_is_audited(world: Any) -> None:
    target = world.users["coordinator"]
    device = second_factor_device(target)
    victim = client_for(target)
    assert reaches_pages(victim)
    admin = client_for(world.users["org_admin"])
    membership = target.memberships.get(org=world.org)
    response = admin.post(f"/accounts/members/{membership.pk}/reset/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not StaticDevice.objects.filter(user=target).exists()
    assert not FallbackFactor.objects.filter(user=target).exists()
    assert not UserSession.objects.filter(user=target).exists()
    assert victim.get("/accounts/security/")["Location"].startswith("/accounts/login/")
    event = AuditEvent.objects.get(action="factors_reset")
    assert event.object_id == str(target.pk) and event.actor_id == world.users["org_admin"].pk
    assert set(event.detail) == {"removed", "by"}
    assert device.pk  # the old device is gone: the next login enrols afresh
    client = password_login("coordinator")
    assert b"passkey-registration-placeholder" in client.get("/accounts/verify/").content


def test_sensitive_actions_need_a_recent_second_factor(world: Any) -> None:
    admin_user = world.users["org_admin"]
    member = world.users["staff"].memberships.get(org=world.org)
    second_factor_device(world.users["staff"])
    with time_machine.travel(clock.now(), tick=False) as traveller:
        admin = client_for(admin_user)
        traveller.shift(timedelta(minutes=6))
        refused = admin.post(
            f"/accounts/members/{member.pk}/reset/",
            HTTP_REFERER="http://testserver/accounts/members/",
        )
        assert refused.status_code == 302
        assert refused["Location"].startswith("/accounts/verify/?reauth=1")
        assert "next=%2Faccounts%2Fmembers%2F" in refused["Location"]
        assert TOTPDevice.objects.filter(user=world.users["staff"]).exists()
        # The re-authentication page asks again even though the session is verified.
        page = admin.get(refused["Location"])
        assert page.status_code == 200 and b"Confirm it is you" in page.content
        code = current_code(second_factor_device(admin_user))
        done = admin.post(refused["Location"], {"code": code, "reauth": "1"})
        assert done["Location"] == "/accounts/members/"
        assert admin.post(f"/accounts/members/{member.pk}/reset/").status_code == 302
        assert not TOTPDevice.objects.filter(user=world.users["staff"]).exists()


def test_recent_second_factor_helper(world: Any, rf: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    from salama.accounts.access import require_recent_second_factor

    calls = []

    @require_recent_second_factor
    def view(request: Any) -> Any:
        calls.append(1)
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = rf.get("/x")
    request.user = AnonymousUser()
    assert view(request).status_code == 302 and not calls


def test_security_key_views_refuse_a_second_key_without_verification(world: Any) -> None:
    from django_otp_webauthn.models import WebAuthnCredential

    user = world.users["coordinator"]
    second_factor_device(user)
    client = password_login("coordinator")
    response = client.post(reverse("accounts:key_begin"), content_type="application/json")
    assert response.status_code == 403
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    # A user with no factor yet may enrol the first key right after the password.
    fresh = password_login("liaison")
    options = fresh.post(reverse("accounts:key_begin"), content_type="application/json")
    assert options.status_code == 200
    body = options.json()
    assert body["rp"]["id"] == "localhost" and body["user"]["name"] == "liaison"


def test_webauthn_strings_and_script_catalogue_are_in_arabic(world: Any) -> None:
    client = Client()
    client.cookies["django_language"] = "ar"
    catalogue = client.get("/accounts/jsi18n/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "Verify with Passkey" in catalogue
    assert "\\u0645" in catalogue or "م" in catalogue  # Arabic letters in the catalogue
    from django.utils import translation

    with translation.override("ar"):
        from django_otp_webauthn.exceptions import NotVerified

        assert str(NotVerified().detail) != "User is not verified."


def test_operator_reset_command(world: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    target = world.users["org_admin"]
    second_factor_device(target)
    call_command("reset_factors", "org_admin", stdout=StringIO())
    assert not TOTPDevice.objects.filter(user=target).exists()
    event = AuditEvent.objects.get(action="factors_reset")
    assert event.detail["by"] == "operator" and event.object_id == str(target.pk)


def test_second_factor_pages_keep_the_strict_csp(world: Any) -> None:
    from tests.accounts.test_security import assert_strict_csp

    unverified = password_login("coordinator")
    admin = client_for(world.users["org_admin"])
    pages = [
        (unverified, "/accounts/verify/"),
        (unverified, "/accounts/verify/app/"),
        (admin, "/accounts/verify/?reauth=1"),
        (admin, "/accounts/security/"),
        (admin, "/accounts/members/"),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_strict_csp(response, path)
        body = response.content.decode()
        assert "<script>" not in body and " style=" not in body and "hx-on" not in body, path


def test_the_main_navigation_waits_for_the_second_factor(world: Any) -> None:
    client = Client()
    client.force_login(world.users["coordinator"])  # password only, no second factor yet
    page = client.get("/accounts/verify/").content.decode()
    assert 'class="mainnav"' not in page
    verified = client_for(world.users["coordinator"]).get("/", follow=True).content.decode()
    assert 'class="mainnav"' in verified
