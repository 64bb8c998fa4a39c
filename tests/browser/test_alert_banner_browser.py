"""The life-safety banner in real Chromium (U1 item 2), in both languages, at 1280 and 360 px:
the coordinator's board is open, a staff member asks for help on the field page, and the banner
appears on the board without a reload (the board's poll), counting the unowned alert and linking
to the duty page. Any CSP violation or console error fails (`page`)."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from salama.accounts.models import User
from tests.browser.test_board_browser import _second_page
from tests.conftest import log_in, screenshot
from tests.safety.conftest import Team1

pytestmark = pytest.mark.browser
LIVE_WAIT = 15_000  # ms: the board polls every 5 s
WORDS = {"en": "Open life-safety alerts", "ar": "تنبيهات سلامة الأرواح المفتوحة"}


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_banner_appears_on_the_board_when_a_call_for_help_comes_in(
    page: Any,
    browser: Any,
    live_server: Any,
    live_world: Any,
    language: str,
    width: int,
    tmp_path: Path,
) -> None:
    Team1(live_world)
    User.objects.filter(username="coordinator").update(language=language)
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "coordinator")
    page.wait_for_url("**/safety/board/")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert page.locator("#alert-banner").count() == 0
    page.evaluate("window.__marker = 1")

    problems: list[str] = []
    staff = _second_page(browser, live_server, problems)
    log_in(staff, "staff")
    staff.click("#btn-help")
    staff.wait_for_selector(".messages li")

    banner = page.locator("#alert-banner")
    expect(banner).to_be_visible(timeout=LIVE_WAIT)
    expect(page.locator("#alert-banner-open")).to_have_text("1")
    expect(page.locator("#alert-banner-unowned")).to_have_text("1")
    assert WORDS[language] in banner.inner_text()
    assert page.evaluate("window.__marker") == 1  # no reload happened
    box = banner.bounding_box()  # it fits the screen: no sideways scroll to read it
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    link = banner.locator("a").bounding_box()
    assert link is not None and link["x"] >= 0 and link["x"] + link["width"] <= width
    screenshot(page, f"alert-banner-{language}-{width}.png", tmp_path)
    assert not problems, problems

    # The banner leads to the duty page, and is there on other coordinator pages too.
    banner.locator("a").click()
    page.wait_for_url("**/alerts/")
    expect(page.locator("#alert-banner-unowned")).to_have_text("1")
