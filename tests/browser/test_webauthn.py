"""Security keys in real Chromium, with its virtual authenticator (DevTools protocol): enrol a
key after the password, log out, log in with it. Any CSP violation or console error fails."""

from typing import Any

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def add_virtual_authenticator(page: Any) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def type_password(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/accounts/verify/**")


def test_enrol_a_security_key_log_out_and_log_in_with_it(
    page: Any, live_world: Any, live_server: Any, settings: Any
) -> None:
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    add_virtual_authenticator(page)
    user = live_world.users["liaison"]

    type_password(page, "liaison")
    page.click("#passkey-register-button")
    page.wait_for_url(lambda url: "/accounts/verify/" not in url)
    assert WebAuthnCredential.objects.filter(user=user, confirmed=True).count() == 1
    page.goto("/accounts/security/")
    assert page.locator("#keys tbody tr").count() == 1

    page.click("#logout")
    page.wait_for_url("**/accounts/login/")
    type_password(page, "liaison")
    # A key is enrolled now: the page asks for it, and offers no new enrolment.
    assert page.locator("#passkey-register-button").count() == 0
    page.click("#passkey-verification-button")
    page.wait_for_url(lambda url: "/accounts/verify/" not in url)
    page.goto("/accounts/security/")
    assert page.url.endswith("/accounts/security/")
    credential = WebAuthnCredential.objects.get(user=user)
    assert credential.last_used_at is not None


def test_a_coordinator_without_a_second_factor_cannot_reach_the_board(
    page: Any, live_world: Any
) -> None:
    type_password(page, "coordinator")
    for path in ("/", "/safety/board/", "/people/"):
        page.goto(path)
        assert "/accounts/verify/" in page.url, path
    assert page.locator("#passkey-register-button").is_visible()


def test_the_second_factor_page_in_arabic(page: Any, live_world: Any) -> None:
    user = live_world.users["coordinator"]
    user.language = "ar"
    user.save(update_fields=["language"])
    page.goto("/accounts/login/")
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/accounts/verify/**")
    assert page.locator("html").get_attribute("dir") == "rtl"
    button = page.locator("#passkey-register-button").inner_text()
    assert button and not button.isascii()
