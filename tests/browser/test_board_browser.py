"""The accountability board and the field page in real Chromium, in both languages: a staff member
taps Safe and the coordinator's board, loaded before, shows it without a reload; an event's
headline counts move as check-ins arrive; the field page is small and works without JavaScript.
Under `make screenshots` also refreshes docs/screenshots/board-en.png and board-ar.png."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from salama.people.models import Area, Facility, Person
from salama.safety import services
from tests.conftest import log_in, screenshot
from tests.safety.conftest import Team1

pytestmark = pytest.mark.browser
LIVE_WAIT = 15_000  # ms: the board polls every 5 s


def _team(world: Any) -> Team1:
    team = Team1(world)
    Area.objects.filter(pk=team.sukkari.pk).update(latitude=36.186, longitude=37.175)
    Area.objects.filter(pk=team.shaar.pk).update(latitude=36.205, longitude=37.180)
    Facility.objects.create(
        org=world.org,
        name="Field Hospital M2",
        kind="field_hospital",
        area=team.sukkari,
        latitude=36.188,
        longitude=37.172,
    )
    return team


def _second_page(browser: Any, live_server: Any, problems: list[str], **options: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", **options)
    tab = context.new_page()
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: problems.append(str(exc)))
    return tab


@pytest.mark.parametrize("language", ["en", "ar"])
def test_board_shows_a_field_checkin_without_reload(
    page: Any, browser: Any, live_server: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    team = _team(live_world)
    log_in(page, "coordinator")
    page.wait_for_url("**/safety/board/")
    if language == "ar":
        page.click("button[name=language][value=ar]")
        page.wait_for_selector("html[dir=rtl]")
        assert page.locator("h1").inner_text() == "لوحة المساءلة"
    page.evaluate("window.__marker = 1")

    problems: list[str] = []
    staff = _second_page(browser, live_server, problems)
    log_in(staff, "staff")
    staff.click("#btn-safe")
    staff.wait_for_selector(".messages li")
    page.wait_for_selector('#person-K10 [data-state="SAFE"]', timeout=LIVE_WAIT)
    assert page.evaluate("window.__marker") == 1  # no reload happened

    # An event: the headline counts who has been heard from since it started.
    page.goto("/safety/events/")
    page.fill("#id_label", "Strike" if language == "en" else "قصف")
    page.click("#open-event")
    page.wait_for_url("**/safety/board/")
    page.evaluate("window.__marker = 2")
    assert page.locator("#heard-since").inner_text().replace(" ", "") == "0/6"
    staff.goto("/safety/")
    staff.click("#btn-safe")
    expect(page.locator("#heard-since")).to_have_text("1 / 6", timeout=LIVE_WAIT)
    services.record_proxy_checkins(lead=team.lead, codenames=["K12", "K14"], status="SAFE")
    expect(page.locator("#heard-since")).to_have_text("3 / 6", timeout=LIVE_WAIT)
    assert page.evaluate("window.__marker") == 2
    assert Person.objects.get(pk=team.staff.pk).state == "SAFE"

    page.set_viewport_size({"width": 1200, "height": 900})
    screenshot(page, f"board-{language}.png", tmp_path, full_page=True)
    staff.context.close()
    assert not problems, problems


def test_field_page_is_small_and_works_without_javascript(
    browser: Any, live_server: Any, live_world: Any
) -> None:
    team = _team(live_world)
    problems: list[str] = []
    tab = _second_page(browser, live_server, problems, java_script_enabled=False)
    log_in(tab, "staff")
    response = tab.goto("/safety/")
    html = response.body()
    # The page's own CSS and JS, fetched as the browser did (same cookies).
    assets = re.findall(rb'<link rel="stylesheet" href="([^"]+)"|<script[^>]* src="([^"]+)"', html)
    urls = [(css or js).decode() for css, js in assets]
    sizes = {"/safety/": len(html)}
    for url in urls:
        sizes[url] = len(tab.request.get(url).body())
    assert any(url.endswith(".css") for url in sizes), sizes
    # One script: the offline queue (O1), which the page does not need to work.
    assert [url for url in sizes if url.endswith(".js")] == ["/static/safety/field.js"], sizes
    assert sum(sizes.values()) < 50 * 1024, sizes

    tab.fill("#id_note", "on my way to the ward")
    tab.click("#btn-injured")
    tab.wait_for_selector(".messages li")
    person = Person.objects.get(pk=team.staff.pk)
    assert person.state == "INJURED" and person.state_basis == "self"
    tab.context.close()
    assert not problems, problems
