"""Every coordinator page at 360×640 in real Chromium, in both languages (U1 item 4): no page is
wider than the phone (tables become stacked lists below 600 px), the duty page's Acknowledge
button is on the screen and works, and a 20,000-character unbroken note wraps instead of widening
the page. Any CSP violation or console error fails (`page`)."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

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
    # Tables turned into lists for phones (U1 item 4, the rest of the coordinator's tables).
    ("suppressed", "/messaging/suppressed/"),
    ("texts", "/messaging/texts/"),
    ("keywords", "/messaging/keywords/"),
    ("android-phones", "/messaging/phones/"),
    ("api-tokens", "/safety/tokens/"),
    ("exports", "/reports/exports/"),
    ("evacuation", "/evacuation/"),
    ("movements", "/evacuation/movements/"),
    ("incidents", "/incidents/list/"),
    ("evidence", "/evidence/"),
    ("facility-words", "/facilities/words/"),
]
# Pages of one record (their address is made from the test's data).
RECORD_PAGES = ["person", "alert", "facility", "rollcall"]
# Forms with rows (a person's contact points, a household's dependants): lists on the phone too.
FORM_PAGES = ["person-form", "evacuation-request-new"]
# The organisation administrator's pages with tables.
ADMIN_PAGES = [
    ("members", "/accounts/members/"),
    ("gateways", "/messaging/gateways/"),
    ("webhooks", "/webhooks/"),
    ("partner-tokens", "/reports/partner-tokens/"),
    ("security-admin", "/accounts/security/"),
]


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _tables_not_lists(page: Any) -> list[str]:
    """The tables of the page that are not lists on the phone: a row not laid out as a block, or
    a cell with something in it but no label saying which column it is (a table that only
    scrolls sideways hides its last columns; a list shows everything)."""
    return list(
        page.evaluate(
            """[...document.querySelectorAll('main table')].filter(t =>
                [...t.querySelectorAll('tbody tr')].some(
                  r => getComputedStyle(r).display !== 'block')
                || [...t.querySelectorAll('tbody td:not([colspan])')].some(
                     c => c.textContent.trim() && !c.dataset.label && c.cellIndex > -1
                       && t.tHead && t.tHead.rows[0].cells[c.cellIndex]
                       && t.tHead.rows[0].cells[c.cellIndex].textContent.trim()))
              .map(t => t.id || t.className || 'table')"""
        )
    )


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

    from salama.rollcalls import services as rollcalls

    roll_call = rollcalls.open_roll_call(
        org=live_world.org,
        question="Are you safe?",
        target=rollcalls.Target(persons=tuple(p.pk for p in roster.persons.values())),
        deadline_at=timezone.now() + timedelta(hours=1),
    )
    records = {
        "person": f"/people/{roster.persons['K12'].pk}/",
        "alert": f"/alerts/{alert.number}/",
        "facility": f"/facilities/{roster.facility.pk}/",
        "rollcall": f"/rollcalls/{roll_call.number}/",
        "person-form": f"/people/{roster.persons['K12'].pk}/edit/",
        "evacuation-request-new": "/evacuation/new/",
    }
    too_wide: dict[str, object] = {}
    for name, url in PAGES + [(name, records[name]) for name in RECORD_PAGES + FORM_PAGES]:
        response = page.goto(url)
        page.wait_for_load_state()
        assert response is not None and response.status == 200, (name, url)
        screenshot(page, f"phone-{name}-{language}.png", tmp_path, full_page=True)
        if _scroll_width(page) > WIDTH:
            too_wide[name] = _scroll_width(page)
        if scrolling := _tables_not_lists(page):
            too_wide[f"{name} (tables)"] = scrolling
    assert not too_wide, f"pages wider than {WIDTH} px: {too_wide}"

    # The forms' rows are lists: each field on the phone, led by its column's name.
    for url, table in ((records["person-form"], "#contact-points"),
                       (records["evacuation-request-new"], "#dependants")):  # fmt: skip
        page.goto(url)
        cells = page.locator(f"{table} tbody td[data-label]")
        assert cells.count() >= 4, (url, table)
        assert cells.first.evaluate("td => getComputedStyle(td).display") == "block"
        for field in page.locator(f"{table} tbody :is(input, select)").all():
            box = field.bounding_box()
            if box is not None and box["width"] > 0:  # hidden inputs have no box
                assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (url, box)

    # The roll call's figures are read as sentences on the phone, numbers isolated in Arabic.
    page.goto(records["rollcall"])
    summary = page.locator("#rollcall-summary")
    assert summary.is_visible()
    box = summary.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    assert summary.locator('bdi[dir="ltr"]').count() >= 2  # "0 of 12 answered"
    assert ("أجاب" if language == "ar" else "answered") in summary.inner_text()

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
def test_org_admin_pages_fit_a_360_px_phone(
    page: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    build_roster(live_world)
    User.objects.filter(username="org_admin").update(language=language)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    log_in(page, "org_admin")
    too_wide: dict[str, object] = {}
    for name, url in ADMIN_PAGES:
        response = page.goto(url)
        page.wait_for_load_state()
        assert response is not None and response.status == 200, (name, url)
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        screenshot(page, f"phone-{name}-{language}.png", tmp_path, full_page=True)
        if _scroll_width(page) > WIDTH:
            too_wide[name] = _scroll_width(page)
        if scrolling := _tables_not_lists(page):
            too_wide[f"{name} (tables)"] = scrolling
    assert not too_wide, f"pages wider than {WIDTH} px: {too_wide}"
    # The members' table is a list on the phone: one block per row, each cell labelled.
    cell = page.locator("#members td[data-label]").first
    page.goto("/accounts/members/")
    assert cell.evaluate("td => getComputedStyle(td).display") == "block"


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
