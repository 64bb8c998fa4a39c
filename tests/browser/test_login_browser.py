"""Log in and out in both languages in real Chromium; any CSP violation or console error fails
(the `page` fixture). Under `make screenshots`, also refreshes the login
screenshots in docs/."""

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "ar"])
def test_login_and_logout_in_both_languages(
    page: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    page.goto("/accounts/login/")
    if language == "ar":
        page.click("button[name=language][value=ar]")
        page.wait_for_selector("html[dir=rtl]")
        assert page.locator("h1").inner_text() == "تسجيل الدخول"
    else:
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert page.locator("h1").inner_text() == "Log in"
    page.set_viewport_size({"width": 900, "height": 560})
    screenshot(page, f"login-{language}.png", tmp_path)

    log_in(page, "coordinator")
    assert page.url.endswith("/") or "/safety/" in page.url
    assert page.locator("#logout").is_visible()
    page.click("#logout")
    page.wait_for_url("**/accounts/login/")
    assert page.locator("#id_username").is_visible()


def test_wrong_password_is_refused_without_saying_which_part(page: Any, live_world: Any) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "coordinator")
    page.fill("#id_password", "not the password at all")
    page.click("button[type=submit].primary")
    assert "correct username and password" in page.locator(".errors").inner_text()
