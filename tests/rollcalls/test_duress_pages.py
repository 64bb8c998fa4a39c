"""Duress on the coordinators' pages (a drill shows as TEST; the plan on the alert page), the org
admin's settings page (focal points, drill mode, links, budget), the signed answer link (GET asks,
POST records, expires at the deadline), and the nav link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from salama.accounts import factors
from salama.accounts.models import AuditEvent, Membership
from salama.alerts.models import Alert, AlertKind
from salama.lib import clock
from salama.messaging.inbound import receive
from salama.messaging.models import Message
from salama.people.services import add_contact_point
from salama.rollcalls import duress, links, services
from salama.rollcalls.models import DuressForm, RollCallRecipient, Timing
from tests.conftest import client_for
from tests.messaging.text_helpers import NUMBERS, Roster, make_roster

pytestmark = pytest.mark.django_db
START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def roster(world: Any) -> Roster:
    return make_roster(world)


def _duress(roster: Roster) -> Alert:
    duress.agree_duress(person=roster.k1, word="tamam", plan="Call the lawyer at once")
    receive(org=roster.org, channel="http_json", sender=NUMBERS["k1"], body="tamam",
            gateway_ref="d1", sent_at=clock.now())  # fmt: skip
    return Alert.objects.get(kind=AlertKind.DURESS)


def test_a_drill_duress_alert_shows_as_test_and_the_plan_to_coordinators(
    roster: Roster, clients: Any
) -> None:
    roster.org.settings["drill_mode"] = True
    roster.org.save(update_fields=["settings"])
    alert = _duress(roster)
    duty = clients["coordinator"].get("/alerts/").content.decode()
    assert f'id="alert-{alert.number}-test"' in duty
    page = clients["coordinator"].get(f"/alerts/{alert.number}/").content.decode()
    assert "Call the lawyer at once" in page and 'id="duress-plan"' in page
    assert "A drill" in page


def test_a_real_duress_alert_is_not_marked_test(roster: Roster, clients: Any) -> None:
    alert = _duress(roster)
    duty = clients["coordinator"].get("/alerts/").content.decode()
    assert f'id="alert-{alert.number}-test"' not in duty
    page = clients["coordinator"].get(f"/alerts/{alert.number}/").content.decode()
    assert "Call the lawyer at once" in page and "A drill" not in page


def test_settings_page_names_the_focal_points_for_org_admins_only(
    roster: Roster, world: Any, clients: Any
) -> None:
    liaison = Membership.objects.get(org=world.org, user=world.users["liaison"])
    assert clients["coordinator"].get("/rollcalls/settings").status_code == 403
    response = clients["org_admin"].post("/rollcalls/settings", {
        "focal_points": [liaison.pk], "drill_mode": "on", "monthly_budget": "25"})  # fmt: skip
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert duress.focal_points(world.org) == [liaison]
    assert world.org.setting("drill_mode") is True
    assert world.org.setting("monthly_budget") == 25.0
    outsider = Membership.objects.get(org=world.other_org, user=world.users["outsider"])
    bad = clients["org_admin"].post("/rollcalls/settings", {
        "focal_points": [outsider.pk], "monthly_budget": "1"})  # fmt: skip
    assert bad.status_code == 200  # refused: not a member of this organisation
    world.org.refresh_from_db()
    assert duress.focal_points(world.org) == [liaison]


def test_signed_link_get_asks_post_records_and_it_expires_at_the_deadline(
    roster: Roster, anon: Any
) -> None:
    org = roster.org
    org.settings |= {"answer_links": True, "public_url": "https://salama.example.org"}
    org.save(update_fields=["settings"])
    with time_machine.travel(START, tick=False) as traveller:
        roll_call = services.open_roll_call(
            org=org, question="Are you well?", target=services.Target(persons=(roster.k1.pk,)),
            deadline_at=clock.now() + timedelta(minutes=30),
        )  # fmt: skip
        row = RollCallRecipient.objects.get(roll_call=roll_call, person=roster.k1)
        body = str(Message.objects.get(pk=row.message_id).body)
        assert "https://salama.example.org/rollcalls/a/" in body
        url = body.split("https://salama.example.org", 1)[1]
        page = anon.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert 'name="option" value="1"' in text
        # The options, nothing else (form values, the random CSRF token among them, left out).
        shown = re.sub(r'value="[^"]*"', "", text)
        assert "K1" not in shown and "Are you well?" not in shown
        row.refresh_from_db()
        assert row.option is None  # a GET records nothing
        assert anon.post(url, {"option": "2"}).status_code == 200
        row.refresh_from_db()
        assert (row.option, row.timing, row.answer_via) == (2, Timing.COUNTED, "link")
        traveller.shift(timedelta(minutes=31))
        assert anon.get(url).status_code == 404
        assert anon.post(url, {"option": "1"}).status_code == 404
    row.refresh_from_db()
    assert row.option == 2
    assert links.recipient_for("forged") is None


def test_links_are_off_unless_the_organisation_turns_them_on(roster: Roster) -> None:
    roll_call = services.open_roll_call(
        org=roster.org, question="Are you well?", target=services.Target(persons=(roster.k1.pk,)),
        deadline_at=clock.now() + timedelta(minutes=30),
    )  # fmt: skip
    row = RollCallRecipient.objects.get(roll_call=roll_call, person=roster.k1)
    assert "/rollcalls/a/" not in str(Message.objects.get(pk=row.message_id).body)
    assert links.recipient_for(links.token_for(row)) is None


def test_nav_links_to_roll_calls_for_coordinators(clients: Any) -> None:
    assert 'id="nav-rollcalls"' in clients["coordinator"].get("/rollcalls/").content.decode()
    assert 'id="nav-rollcalls"' not in clients["staff"].get("/rollcalls/answer").content.decode()


def _duress_url(person: Any) -> str:
    return f"/rollcalls/duress/{person.pk}"


@pytest.mark.parametrize("name", ["lead", "staff", "liaison", "observer"])
def test_only_coordinators_may_set_or_change_a_duress_word(
    roster: Roster, clients: Any, name: str
) -> None:
    # S3 item 1: a field lead of another team overwrote K1's word and silently disarmed it.
    with time_machine.travel(START, tick=False):
        duress.agree_duress(person=roster.k1, word="tamam", plan="Call the lawyer")
    assert clients[name].get(_duress_url(roster.k1)).status_code == 403
    response = clients[name].post(_duress_url(roster.k1), {"word": "mnih", "plan": "x"})
    assert response.status_code == 403
    form = DuressForm.objects.get(person=roster.k1)
    assert form.agreed_at == START and str(form.plan) == "Call the lawyer"
    assert duress.is_duress(roster.k1, "tamam") and not duress.is_duress(roster.k1, "mnih")
    lead = Membership.objects.get(user__username="lead", org=roster.org)
    with pytest.raises(PermissionDenied):  # the service refuses too, whoever calls it
        duress.agree_duress(person=roster.k1, word="mnih", plan="x", by=lead)
    assert duress.is_duress(roster.k1, "tamam")


def test_changing_a_duress_word_needs_a_recent_second_factor(roster: Roster, clients: Any) -> None:
    duress.agree_duress(person=roster.k1, word="tamam", plan="Call the lawyer")
    client = clients["coordinator"]
    session = client.session
    session[factors.VERIFIED_AT] = session[factors.VERIFIED_AT] - 3600
    session.save()
    response = client.post(_duress_url(roster.k1), {"word": "mnih", "plan": "x"})
    assert response.status_code == 302
    assert reverse("accounts:second_factor") in response["Location"]
    assert duress.is_duress(roster.k1, "tamam") and not duress.is_duress(roster.k1, "mnih")


def test_a_change_is_dated_audited_told_to_the_other_coordinators_and_never_shown(
    roster: Roster, world: Any, clients: Any
) -> None:
    org = roster.org
    other = Membership.objects.get(user=world.users["coordinator2"], org=org)
    other_phone = add_contact_point(org=org, kind="sms", value="+963944100011", membership=other)
    with time_machine.travel(START, tick=False):
        duress.agree_duress(person=roster.k1, word="tamam", plan="Call the lawyer")
    later = START + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        client = client_for(world.users["coordinator"])
        refused = client.post(_duress_url(roster.k1), {"word": "shelling", "plan": "x"})
        assert refused.status_code == 200 and "shelling" not in refused.content.decode()
        response = client.post(_duress_url(roster.k1), {"word": "mnih", "plan": "Call Z"})
        assert response.status_code == 302
        page = client.get(_duress_url(roster.k1)).content.decode()
    assert "mnih" not in page and "tamam" not in page
    form = DuressForm.objects.get(person=roster.k1)
    me = Membership.objects.get(user=world.users["coordinator"], org=org)
    assert form.agreed_at == later and form.agreed_by == me
    assert duress.is_duress(roster.k1, "mnih") and not duress.is_duress(roster.k1, "tamam")
    event = AuditEvent.objects.filter(action="duress.change").get()
    assert event.actor_id == me.user_id and event.object_id == str(form.pk)
    assert "mnih" not in str(event.detail) and "Call Z" not in str(event.detail)
    alert = Alert.objects.get(kind=AlertKind.DURESS_CHANGED)
    assert alert.person_id == roster.k1.pk and not alert.is_life_safety
    told = Message.objects.filter(template="duress_changed")
    assert [m.contact_point_id for m in told] == [other_phone.pk]  # not the one who changed it
    assert "mnih" not in str(told.get().body) and "K1" not in str(told.get().body)
