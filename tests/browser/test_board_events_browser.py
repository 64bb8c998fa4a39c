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


def test_board_map_draws_area_outlines_and_labels_do_not_overlap(
    page: Any, live_server: Any, live_world: Any, settings: Any
) -> None:
    """U1 item 8: with no tile server the map draws the areas' own outlines, and no two
    permanent labels cover each other (two areas a few metres apart)."""
    from salama.people.models import Area

    settings.MAP_TILE_URL = ""
    team = Team1(live_world)
    square = [[37.15, 36.2], [37.16, 36.2], [37.16, 36.21], [37.15, 36.21], [37.15, 36.2]]
    Area.objects.filter(pk=team.sukkari.pk).update(
        latitude=36.205, longitude=37.155, polygon={"type": "Polygon", "coordinates": [square]}
    )
    Area.objects.filter(pk=team.shaar.pk).update(latitude=36.2051, longitude=37.1551)
    log_in(page, "coordinator")
    page.wait_for_url("**/safety/board/")
    page.wait_for_selector("#board-map path.map-outline")
    boxes = [
        label.bounding_box()
        for label in page.locator("#board-map .map-label").all()
        if label.is_visible()
    ]
    assert len(boxes) >= 1
    for index, a in enumerate(boxes):
        for b in boxes[index + 1 :]:
            assert a is not None and b is not None
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, (a, b)
    assert page.locator("#board-map .map-label").count() == 2  # both drawn, one hidden
