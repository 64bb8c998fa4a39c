"""A field lead on a 360 px phone, in real Chromium, in both languages (issue 27's leftovers):
opens a texted request of their own team from the queue, completes it on the form (household
blocks, no table to scroll) and sees the completed request. The width checks are the phone-width
test's own (tests/browser/test_phone_width.py)."""

from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import Membership, User
from salama.evacuation import services
from salama.evacuation.models import AgeBand, Reason, Relation, Request
from salama.people.models import Person, Team, TeamLead
from tests.browser.test_phone_width import HEIGHT, WIDTH, _scroll_width, _tables_not_lists
from tests.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _fits(page: Any) -> None:
    assert _scroll_width(page) <= WIDTH, _scroll_width(page)
    assert not _tables_not_lists(page)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_lead_completes_a_texted_request_on_a_phone(
    page: Any, live_world: Any, language: str, tmp_path: Path
) -> None:
    org = live_world.org
    team = Team.objects.create(org=org, name="North")
    membership = Membership.objects.get(user=live_world.users["lead"], org=org)
    lead = Person.objects.create(
        org=org, codename="K10", role="doctor", team=team, membership=membership
    )
    TeamLead.objects.create(org=org, team=team, person=lead)
    k12 = Person.objects.create(org=org, codename="K12", role="nurse", team=team)
    row = services.create_request(
        person=k12,
        channel="sms",
        data=services.RequestInput(
            reason=Reason.NOT_STATED,
            dependants=[
                services.Dependant(relation=Relation.OTHER, age_band=AgeBand.UNKNOWN)
                for _i in range(3)
            ],
        ),
    )
    User.objects.filter(username="lead").update(language=language)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    log_in(page, "lead")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")

    page.goto("/evacuation/")
    _fits(page)
    page.click(f"#req-{row.pk} a")
    page.wait_for_load_state()
    _fits(page)
    page.click("#complete-link")
    page.wait_for_load_state()
    _fits(page)
    assert page.locator(".household-member").count() == 5
    page.select_option("#id_reason", "medical_self")
    page.check("#complete-form input[name=needs][value=dialysis]")
    page.select_option("#id_h0_relation", "child")
    page.select_option("#id_h0_age", "2-11")
    page.check("#household-0 input[name=h0_needs][value=wheelchair]")
    page.select_option("#id_h1_relation", "parent")
    page.select_option("#id_h1_age", "60+")
    page.select_option("#id_h2_relation", "")  # the third does not travel
    screenshot(page, f"evacuation-complete-{language}.png", tmp_path, full_page=True)
    page.click("#save-completion")
    page.wait_for_url(f"**/evacuation/requests/{row.pk}/")
    _fits(page)
    assert page.locator("#to-complete").count() == 0
    assert page.locator("#household li").count() == 2
    row = Request.objects.get(pk=row.pk)
    assert (row.reason, row.dependants, row.band) == ("medical_self", 2, "urgent")
