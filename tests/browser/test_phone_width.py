"""Every coordinator page at 360×640 in real Chromium, in both languages (U1 item 4): no page is
wider than the phone (tables become stacked lists below 600 px), the duty page's Acknowledge
button is on the screen and works, and a 20,000-character unbroken note wraps instead of widening
the page. Any CSP violation or console error fails (`page`)."""

from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import User
from salama.alerts.models import Alert, AlertState
from salama.alerts.services import raise_life_safety
from salama.safety import services
from tests.conftest import log_in, screenshot
from tests.people.factories import build_roster

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 360, 640
PAGES = [
    ("board", "/safety/board/"),
    ("duty", "/alerts/"),
    ("roster", "/people/"),
    ("responders", "/alerts/responders/"),
    ("facilities", "/facilities/"),
    ("outbox", "/messaging/deliveries/"),
    ("events", "/safety/events/"),
    ("rollcalls", "/rollcalls/"),
    ("rota", "/alerts/rota"),
    ("handover", "/alerts/handover"),
    ("unmatched", "/messaging/unmatched/"),
    ("relayed", "/safety/relayed/"),
    ("teams", "/people/teams/"),
    ("areas", "/people/areas/"),
    ("security", "/accounts/security/"),
    ("privacy", "/privacy/"),
]


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _as_coordinator_on_a_phone(page: Any, language: str) -> None:
    User.objects.filter(username="coordinator").update(language=language)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    log_in(page, "coordinator")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_coordinator_pages_fit_a_360_px_phone(
    page: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    from salama.messaging.inbound import store_inbound

    roster = build_roster(live_world)
    alert = raise_life_safety(org=live_world.org, kind="need_help", person=roster.persons["K12"])
    # Long unbroken text where pages show it: an event's label, an unmatched text.
    services.open_event(org=live_world.org, label="x" * 80)
    row, _new = store_inbound(
        org=live_world.org, channel="simulator", sender="+963944000999", body="y" * 20_000
    )
    row.state = "unmatched"
    row.save(update_fields=["state"])
    _as_coordinator_on_a_phone(page, language)

    too_wide = {}
    for name, url in PAGES:
        page.goto(url)
        page.wait_for_load_state()
        screenshot(page, f"phone-{name}-{language}.png", tmp_path, full_page=True)
        if _scroll_width(page) > WIDTH:
            too_wide[name] = _scroll_width(page)
    assert not too_wide, f"pages wider than {WIDTH} px: {too_wide}"

    # The duty page's main action is in reach, and it works.
    page.goto("/alerts/")
    button = page.locator(f"#alert-{alert.number} button.ack")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    button.click()
    page.wait_for_load_state()
    assert "coordinator" in page.locator(f"#alert-{alert.number}").inner_text()
    assert Alert.objects.get(pk=alert.pk).state == AlertState.ACKNOWLEDGED
    assert _scroll_width(page) <= WIDTH


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_20000_character_note_wraps_on_a_phone(
    page: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    roster = build_roster(live_world)
    person = roster.persons["K13"]
    note = "x" * 20_000
    services.record_checkin(person=person, status="INJURED", basis="self", channel="sms", note=note)
    _as_coordinator_on_a_phone(page, language)

    page.goto(f"/safety/person/{person.pk}/")
    assert _scroll_width(page) <= WIDTH
    page.locator("summary.note-short").first.click()  # the whole note, opened
    assert page.locator("details[open]").count() == 1
    screenshot(page, f"phone-long-note-{language}.png", tmp_path)
    assert _scroll_width(page) <= WIDTH
