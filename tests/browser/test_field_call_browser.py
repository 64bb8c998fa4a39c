"""A call for help from the field page in real Chromium (issue H1 item 7): never refused for its
note, and the sender sees "received …, not yet seen" turn into "seen …" without a reload where
JavaScript runs, and on reload where it does not. Under the strict CSP: no inline script."""

from typing import Any

import pytest
from playwright.sync_api import expect

from salama.accounts.models import Membership
from salama.alerts import services as alerts
from salama.alerts.models import Alert
from salama.safety.models import CheckIn
from tests.conftest import log_in
from tests.safety.conftest import Team1

pytestmark = pytest.mark.browser
LIVE_WAIT = 15_000  # ms: the line asks every 5 s


def test_a_web_call_for_help_learns_it_was_seen_without_a_reload(
    page: Any, browser: Any, live_server: Any, live_world: Any
) -> None:
    team = Team1(live_world)
    coordinator = Membership.objects.get(user=live_world.users["coordinator"], org=team.org)
    log_in(page, "staff")
    page.goto("/safety/")
    note = "under the rubble near the east stairs, two with me. " * 40  # over 2,000 characters
    page.fill("#id_note", note)
    page.click("#btn-help")
    page.wait_for_selector(".messages li")
    expect(page.locator("#call-status")).to_contain_text("not yet seen")
    made = CheckIn.objects.get(person=team.staff)
    assert made.status == "NEED_HELP" and made.note == note.strip()
    page.evaluate("window.__marker = 1")

    alerts.acknowledge(alert=Alert.objects.get(person=team.staff), by=coordinator)
    expect(page.locator("#call-status")).to_contain_text("Seen", timeout=LIVE_WAIT)
    expect(page.locator("#call-status")).not_to_contain_text("not yet seen")
    assert page.evaluate("window.__marker") == 1  # no reload happened

    # Without JavaScript the same page says so on reload.
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", java_script_enabled=False
    )
    plain = context.new_page()
    log_in(plain, "staff")
    plain.goto("/safety/")
    expect(plain.locator("#call-status")).to_contain_text("Seen")
    context.close()
