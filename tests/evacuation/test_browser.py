"""E1 in real Chromium, in both languages: a coordinator records a party's clearance on a
request, builds a movement from the queue and prints its manifest (codenames only, the
watermark and the "destroy after" line). Under `make screenshots`, refreshes
docs/screenshots/evacuation-*.png."""

from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import Membership
from salama.evacuation import services
from salama.evacuation.models import Request, Seat
from salama.people.models import Person, Team
from tests.conftest import log_in, screenshot
from tests.evacuation.helpers import movement, party, request_for

pytestmark = pytest.mark.browser


def _switch(page: Any, language: str) -> None:
    if language == "ar":
        page.click("button[name=language][value=ar]")
        page.wait_for_selector("html[dir=rtl]")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_coordinator_clears_builds_a_movement_from_the_queue_and_prints(
    page: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    org = live_world.org
    by = Membership.objects.get(user=live_world.users["coordinator"], org=org)
    team = Team.objects.create(org=org, name="North")
    k12 = Person.objects.create(
        org=org, codename="K12", role="nurse", team=team, real_name="Fictional Name"
    )
    k14 = Person.objects.create(org=org, codename="K14", role="doctor", team=team)
    crossing = party(org)
    injured = request_for(
        k12, dependants=2, reason="injury", needs=("stretcher",), seat_kind="stretcher"
    )
    other = request_for(k14, reason="threat")
    for row in (injured, other):
        services.approve_request(request=row, by=by)
    services.record_clearance(request=other, party=crossing, state="submitted", by=by)
    mov = movement(org, by, vehicles=((4, 1),))

    log_in(page, "coordinator")
    _switch(page, language)
    page.goto("/evacuation/")
    rows = page.locator("#queue tbody tr")
    assert rows.first.get_attribute("id") == f"req-{injured.pk}"  # urgent first
    screenshot(page, f"evacuation-queue-{language}.png", tmp_path, full_page=True)

    page.goto(f"/evacuation/requests/{injured.pk}/")
    for state in ("submitted", "approved"):
        page.select_option("#clearance-form select[name=party]", str(crossing.pk))
        page.select_option("#clearance-form select[name=state]", state)
        page.click("#record-clearance")
        page.wait_for_load_state()
    assert page.locator(f"#clearances tr[data-party='{crossing.pk}'] .clear-approved").count() == 1
    assert Request.objects.get(pk=injured.pk).is_cleared
    screenshot(page, f"evacuation-request-{language}.png", tmp_path, full_page=True)

    page.goto(f"/evacuation/movements/{mov.pk}/")
    assert page.locator("#cand-K12").count() == 1 and page.locator("#cand-K14").count() == 0
    page.click("#fill")
    page.wait_for_selector("#seat-K12")
    seat = Seat.objects.get(is_active=True)
    assert seat.request_id == injured.pk and (seat.seats, seat.stretchers) == (2, 1)
    screenshot(page, f"evacuation-movement-{language}.png", tmp_path, full_page=True)

    page.goto(f"/evacuation/movements/{mov.pk}/manifest/?lang={language}")
    assert page.locator("#seats").inner_text().count("K12") == 1
    assert "Fictional Name" not in page.content()
    assert "coordinator" in page.locator(".watermark").inner_text()
    assert page.locator("#destroy").is_visible()
    assert page.get_attribute("html", "dir") == ("rtl" if language == "ar" else "ltr")
    screenshot(page, f"evacuation-manifest-{language}.png", tmp_path, full_page=True)
