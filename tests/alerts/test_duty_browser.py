"""The duty page and the alert flow in real Chromium, in both languages: acknowledge from the
page, then close with what was done. Any CSP violation or console error fails (`page`)."""

from typing import Any

import pytest

from salama.accounts.models import User
from salama.alerts.models import Alert, AlertState
from salama.alerts.services import raise_life_safety
from tests.conftest import log_in
from tests.people.factories import build_roster

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "title": "Duty page",
        "ack": "Acknowledge",
        "state": "acknowledged",
        "close": "Close the alert",
    },
    "ar": {"title": "صفحة المناوبة", "ack": "استلام", "state": "مُستلَم", "close": "إغلاق التنبيه"},
}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_acknowledge_and_close_from_the_duty_page(
    page: Any, live_world: Any, language: str
) -> None:
    roster = build_roster(live_world)
    User.objects.filter(username="coordinator").update(language=language)
    alert = raise_life_safety(org=live_world.org, kind="need_help", person=roster.persons["K12"])
    words = WORDS[language]
    log_in(page, "coordinator")
    page.click("#nav-section-alerts > summary")  # the navigation's "Alerts and duty" section
    page.click("#nav-duty")
    page.wait_for_url("**/alerts/")
    assert page.locator("h1").inner_text() == words["title"]
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    row = page.locator(f"#alert-{alert.number}")
    assert "K12" in row.inner_text()
    row.locator("button.ack").click()
    page.wait_for_load_state()
    row = page.locator(f"#alert-{alert.number}")
    assert words["state"] in row.inner_text()
    assert "coordinator" in row.inner_text()
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    row.locator(f"a[href='/alerts/{alert.number}/']").last.click()
    page.fill("#close-form textarea", "K10 took her to the field hospital")
    page.click(f"#close-form button:has-text('{words['close']}')")
    page.wait_for_url("**/alerts/")
    assert page.locator(f"#alert-{alert.number}").count() == 0
    assert Alert.objects.get(pk=alert.pk).state == AlertState.CLOSED
