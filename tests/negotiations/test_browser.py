"""E2 in real Chromium, in both languages: a liaison logs an interaction, a coordinator prepares a
notice from a movement and approves it, a second coordinator approves it, and the notice is
exported (the printable page and the JSON). Under `make screenshots`, refreshes
docs/screenshots/negotiations-*.png."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from salama.lib import clock
from salama.negotiations.models import Interaction, Package
from tests.conftest import log_in, screenshot
from tests.evacuation.helpers import movement
from tests.negotiations.helpers import member, party

pytestmark = pytest.mark.browser


def _tab(browser: Any, live_server: Any, username: str, language: str) -> Any:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.errors = errors
    log_in(tab, username)
    if language == "ar":
        tab.click("button[name=language][value=ar]")
        tab.wait_for_selector("html[dir=rtl]")
    return tab


@pytest.mark.parametrize("language", ["en", "ar"])
def test_liaison_logs_coordinators_approve_and_the_notice_is_exported(
    browser: Any, live_server: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    agency = party(live_world, "Relief agency")
    mov = movement(live_world.org, member(live_world, "coordinator"))

    liaison = _tab(browser, live_server, "liaison", language)
    liaison.goto("/negotiations/interactions/")
    liaison.select_option("#id_party", str(agency.pk))
    when = clock.now() - timedelta(days=1)
    liaison.fill("#id_at", when.strftime("%Y-%m-%dT%H:%M"))
    liaison.select_option("#id_channel", "phone")
    liaison.fill("#id_asked", "Safe passage for the convoy")
    liaison.fill("#id_promised", "We will pass it on today")
    liaison.select_option("#id_movements", str(mov.pk))
    liaison.click("#log-interaction")
    liaison.wait_for_selector("#interactions tbody tr[id^=interaction-]")
    row = Interaction.objects.get()
    assert str(row.promised) == "We will pass it on today" and list(row.movements.all()) == [mov]
    screenshot(liaison, f"negotiations-log-{language}.png", tmp_path, full_page=True)

    first = _tab(browser, live_server, "coordinator", language)
    first.goto("/negotiations/")
    first.select_option("#id_movement", str(mov.pk))
    first.select_option("#id_party", str(agency.pk))
    first.click("#create-package")
    first.wait_for_selector("#approve")
    package = Package.objects.get()
    assert first.locator("#lead-warning").is_visible()  # the movement starts in two hours
    assert first.locator("#not-a-guarantee").is_visible()
    first.click("#approve")
    first.wait_for_selector("#approvals li:not(.muted)")
    assert first.locator("#export-links").count() == 0  # one approval is not enough
    screenshot(first, f"negotiations-package-{language}.png", tmp_path, full_page=True)

    second = _tab(browser, live_server, "coordinator2", language)
    second.goto(f"/negotiations/packages/{package.pk}/")
    second.click("#approve")
    second.wait_for_selector("#export-links")
    second.click(f"#export-print-{language}")
    second.wait_for_selector("#disclaimer")
    assert second.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    version = package.versions.get()
    assert version.content_hash in second.content()
    screenshot(second, f"negotiations-notice-{language}.png", tmp_path, full_page=True)
    body = second.request.get(f"/negotiations/versions/{version.pk}/notice.json").json()
    assert body["hash"]["value"] == version.content_hash
    version.refresh_from_db()
    assert version.exported_at is not None and version.approvals.count() == 2

    timeline = first
    timeline.goto(f"/negotiations/movements/{mov.pk}/")
    assert timeline.locator("#timeline .event-interaction").count() == 1
    assert timeline.locator("#timeline .event-approval").count() == 2
    screenshot(timeline, f"negotiations-timeline-{language}.png", tmp_path, full_page=True)
    for tab in (liaison, first, second):
        assert not tab.errors, tab.errors
        tab.context.close()
