"""The main navigation in real Chromium (U1 item 10), in both languages, at 1280 and 360 px:
each role's home comes first, the links stand in a few sections (details/summary, no
JavaScript), a section the role has nothing in is not drawn, and every link is reachable: on a
wide screen by opening its section, on a phone by opening the "Menu" panel first."""

from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import User
from tests.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

SECTIONS = {
    "coordinator": ["people", "alerts", "messaging", "operations", "reports", "settings"],
    # Staff: report an attack, their journey, what of theirs was shared (I1, E1, E2).
    "staff": ["operations", "settings"],
    "lead": ["people", "operations", "reports", "settings"],
    "observer": ["reports", "settings"],  # the partner edition and the evidence ledger
}
HOME = {
    "coordinator": ("/safety/board/", {"en": "Board", "ar": "اللوحة"}),
    "staff": ("/", {"en": "Check in", "ar": "طمئنّا عنك"}),
    "lead": ("/", {"en": "Check in", "ar": "طمئنّا عنك"}),
    "observer": ("/", {"en": "Overview", "ar": "نظرة عامة"}),
}
TITLES = {"en": "Alerts and duty", "ar": "التنبيهات والمناوبة"}


def open_link(page: Any, width: int, section: str, link: str) -> None:
    """Reach a link of the navigation as a person would at this width."""
    if width <= 600:
        page.click("#nav-toggle-label")
    page.click(f"#nav-section-{section} > summary")
    page.click(link)


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_navigation_sections_each_role_home_first(
    page: Any, live_server: Any, live_world: Any, language: str, width: int, tmp_path: Path
) -> None:
    User.objects.update(language=language)
    page.set_viewport_size({"width": width, "height": 700})
    for persona, sections in SECTIONS.items():
        log_in(page, persona)
        page.goto("/")
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        nav = page.locator("nav.mainnav")
        first = nav.locator(":scope > *").first
        href, words = HOME[persona]
        assert first.get_attribute("href") == href
        assert first.inner_text().strip() == words[language]
        drawn = [
            (s.get_attribute("id") or "").removeprefix("nav-section-")
            for s in nav.locator("details.navsection").all()
        ]
        assert drawn == sections, persona
        # Staff never see API tokens (U1 item 8).
        assert (nav.locator("#nav-tokens").count() == 0) == (persona == "staff")
        if width <= 600:
            assert not nav.is_visible()  # folded into the Menu panel until it is opened
            page.click("#nav-toggle-label")
            assert nav.is_visible()
        else:
            assert page.locator("#nav-toggle-label").is_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.goto("/")
        page.click("#logout")

    log_in(page, "coordinator")
    page.goto("/safety/board/")
    open_link(page, width, "alerts", "#nav-duty")
    page.wait_for_url("**/alerts/")
    section = page.locator("#nav-section-alerts")
    assert "current" in (section.get_attribute("class") or "")  # where the coordinator is
    assert section.locator("summary").inner_text().strip().startswith(TITLES[language])
    if width <= 600:
        page.click("#nav-toggle-label")
    page.click("#nav-section-alerts > summary")
    menu = section.locator(".navmenu")
    box = menu.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    screenshot(page, f"navigation-{language}-{width}.png", tmp_path)
    # Opening another section closes this one (one drop-down at a time, no JavaScript).
    page.click("#nav-section-settings > summary")
    assert not menu.is_visible()
    page.click("#nav-security")
    page.wait_for_url("**/accounts/security/")
