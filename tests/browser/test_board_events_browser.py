"""The board follows the chosen event in real Chromium (U1 item 1), in both languages, at 1280
and 360 px: two open events are offered, the coordinator picks the one limited to Al-Sukkari,
the headline counts in that area, the choice survives a reload, and the coordinator closes the
event from the board."""

from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import User
from salama.safety import services
from tests.conftest import log_in, screenshot
from tests.safety.conftest import Team1

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("language", ["en", "ar"])
def test_board_follows_the_chosen_event_until_it_is_closed(
    page: Any, live_server: Any, live_world: Any, language: str, width: int, tmp_path: Path
) -> None:
    team = Team1(live_world)
    north = services.open_event(org=team.org, label="Strike north", areas=[team.sukkari])
    services.open_event(org=team.org, label="Shelling south", areas=[team.shaar])
    services.record_checkin(person=team.k12, status="SAFE", basis="self", channel="field_page")
    User.objects.filter(username="coordinator").update(language=language)
    page.set_viewport_size({"width": width, "height": 640})
    log_in(page, "coordinator")
    page.wait_for_url("**/safety/board/")
    assert page.locator("#event-label").inner_text() == "Shelling south"  # the newest, at first
    page.select_option("#board-event-choice", str(north.pk))
    page.click("#board-event-follow")
    page.wait_for_load_state()
    assert page.locator("#event-label").inner_text() == "Strike north"
    assert page.locator("#heard-since-areas").inner_text().replace(" ", "") == "1/3"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"board-event-{language}-{width}.png", tmp_path)
    page.goto("/safety/board/")  # remembered
    assert page.locator("#event-label").inner_text() == "Strike north"
    close = page.locator("#event-close button")
    box = close.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    close.click()
    page.wait_for_url("**/safety/board/")
    assert page.locator("#event-label").inner_text() == "Shelling south"  # the one still open
    north.refresh_from_db()
    assert not north.is_open
