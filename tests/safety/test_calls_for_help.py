"""Every call for help reaches someone who can act, and nothing Salama says is untrue (issue H1,
items 2, 3, 7 and 10): a SAFE never silently clears a person's own call for help; a web call for
help is never refused and shows its alert's state; decisions are deliberate."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from salama.accounts.models import Membership
from salama.alerts import services as alerts
from salama.alerts.models import Alert, AlertKind
from salama.people.models import Person
from salama.safety import services
from salama.safety.models import CheckIn, Decision
from salama.safety.selectors import Filters, board_summary
from tests.safety.conftest import T0

pytestmark = pytest.mark.django_db

M = timedelta(minutes=1)
H = timedelta(hours=1)


def fresh(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


def checkin(person: Person, status: str = "SAFE", basis: str = "self", **kw: Any) -> CheckIn:
    return services.record_checkin(
        person=person, status=status, basis=basis, channel=kw.pop("channel", "field_page"), **kw
    )


def member(world: Any, name: str) -> Membership:
    return Membership.objects.get(user=world.users[name], org=world.org)


def call_for_help(person: Person, **kw: Any) -> Alert:
    made = checkin(person, "NEED_HELP", **kw)
    return Alert.objects.get(checkin_id=made.pk, kind=AlertKind.NEED_HELP)


# --- Item 2: a proxy check-in never overwrites a person's own call for help --------------------


def test_safe_all_skips_a_person_whose_own_call_for_help_is_open(frozen: Any, team: Any) -> None:
    call_for_help(team.k12)
    frozen.shift(10 * M)
    result = services.record_proxy_checkins(lead=team.lead, codenames=None)
    assert fresh(team.k12).state == "NEED_HELP"
    assert not CheckIn.objects.filter(person=team.k12, basis="proxy_seen").exists()
    assert result.help_open == ["K12"]
    assert sorted(c.person.codename for c in result.checkins) == ["K10", "K14", "K27"]


def test_named_proxy_safe_skips_an_open_call_too(frozen: Any, team: Any) -> None:
    call_for_help(team.k12)
    result = services.record_proxy_checkins(lead=team.lead, codenames=["K12", "K14"])
    assert fresh(team.k12).state == "NEED_HELP" and fresh(team.k14).state == "SAFE"
    assert result.help_open == ["K12"]


def test_lead_who_saw_them_clears_a_call_only_by_saying_so(frozen: Any, team: Any) -> None:
    call_for_help(team.k12)
    frozen.shift(10 * M)
    heard = services.record_proxy_checkins(
        lead=team.lead, codenames=["K12"], basis="proxy_heard", clear_help=["K12"]
    )
    assert heard.help_open == ["K12"] and fresh(team.k12).state == "NEED_HELP"
    seen = services.record_proxy_checkins(lead=team.lead, codenames=["K12"], clear_help=["K12"])
    assert seen.help_open == [] and fresh(team.k12).state == "SAFE"


def test_after_a_coordinator_closes_the_call_safe_all_counts_again(
    frozen: Any, world: Any, team: Any
) -> None:
    alert = call_for_help(team.k12)
    alerts.close(alert=alert, by=member(world, "coordinator"), note="reached by the clinic")
    frozen.shift(10 * M)
    result = services.record_proxy_checkins(lead=team.lead, codenames=None)
    assert result.help_open == [] and fresh(team.k12).state == "SAFE"


def test_proxy_page_names_who_was_skipped_and_offers_to_confirm(clients: Any, team: Any) -> None:
    call_for_help(team.k12)
    response = clients["lead"].post(
        "/safety/proxy/", {"mode": "all_except", "status": "SAFE"}, follow=True
    )
    text = response.content.decode()
    assert "Not recorded for 1 who asked for help: K12" in text
    assert fresh(team.k12).state == "NEED_HELP" and fresh(team.k14).state == "SAFE"
    assert 'name="clear_help" value="K12"' in text  # the explicit way, on the page
    clients["lead"].post(
        "/safety/proxy/",
        {"mode": "named", "codenames": ["K12"], "clear_help": ["K12"], "status": "SAFE"},
    )
    assert fresh(team.k12).state == "SAFE"


# --- Item 3: stale or skewed times never clear a call for help --------------------------------


def test_a_safe_older_than_the_open_call_is_kept_but_does_not_clear_it(
    frozen: Any, team: Any
) -> None:
    # HELP written at 11:50 on the phone, received 12:00; a SAFE written 11:55 arrives after it.
    call_for_help(team.k12, device_at=T0 - 10 * M)
    frozen.shift(M)
    late = checkin(team.k12, "SAFE", device_at=T0 - 5 * M)
    person = fresh(team.k12)
    assert person.state == "NEED_HELP"
    assert late.is_held and CheckIn.objects.filter(pk=late.pk).exists()
    assert board_summary(team.org, Filters()).counts["SAFE"] == 0


def test_a_retimed_safe_does_not_clear_an_open_call(frozen: Any, team: Any) -> None:
    call_for_help(team.k12)
    frozen.shift(5 * M)
    skewed = checkin(team.k12, "SAFE", device_at=T0 + timedelta(days=1))  # clock a day ahead
    assert skewed.is_time_flagged and skewed.is_held
    assert fresh(team.k12).state == "NEED_HELP"


def test_a_relayed_safe_is_kept_beside_the_call(frozen: Any, world: Any, team: Any) -> None:
    call_for_help(team.k12)
    frozen.shift(5 * M)
    services.record_relayed_entry(
        org=team.org, text="K12 safe, call", recorded_by=member(world, "coordinator")
    )
    assert fresh(team.k12).state == "NEED_HELP"
    page = member_page(world, team.k12)
    assert "held while the call for help is open" in page
    assert "Safe received" in page.split('id="held-safe"')[1]


def test_the_persons_own_fresh_safe_clears_the_call(frozen: Any, team: Any) -> None:
    call_for_help(team.k12)
    frozen.shift(5 * M)
    own = checkin(team.k12, "SAFE")
    assert not own.is_held and fresh(team.k12).state == "SAFE"


def member_page(world: Any, person: Person) -> str:
    from tests.conftest import client_for

    client = client_for(world.users["coordinator"])
    return client.get(f"/safety/person/{person.pk}/").content.decode()


# --- Item 10: decisions are deliberate -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["MISSING", "DETAINED", "KILLED", "EVACUATED"])
def test_a_decision_needs_a_source_and_a_reason(clients: Any, team: Any, kind: str) -> None:
    url = f"/safety/person/{team.k12.pk}/decision/"
    for missing in ({"source": "neighbour"}, {"reason": "not at the clinic since the strike"}):
        answer = clients["coordinator"].post(
            url, {"kind": kind, "certainty": "reported", **missing}
        )
        assert fresh(team.k12).decision == "" and not Decision.objects.exists()
        assert "Give the source and the reason" in answer.content.decode()
    with pytest.raises(ValidationError):
        services.make_decision(person=team.k12, kind=kind, certainty="reported", made_by=None)


def test_recent_contact_is_shown_and_must_be_confirmed(clients: Any, team: Any) -> None:
    with time_machine.travel(T0, tick=False):
        checkin(team.k12, "SAFE")
    url = f"/safety/person/{team.k12.pk}/decision/"
    form = {"kind": "MISSING", "certainty": "reported", "source": "neighbour", "reason": "gone"}
    with time_machine.travel(T0 + 2 * H, tick=False):
        answer = clients["coordinator"].post(url, form)
        text = answer.content.decode()
        assert fresh(team.k12).decision == ""
        assert "K12 was heard from 2 h ago" in text and 'name="confirm_recent"' in text
        assert 'value="neighbour"' in text  # what was typed is kept
        clients["coordinator"].post(url, {**form, "confirm_recent": "1"})
    assert fresh(team.k12).decision == "MISSING"


def test_the_timeline_shows_who_decided_and_who_cleared(clients: Any, team: Any) -> None:
    url = f"/safety/person/{team.k12.pk}/"
    form = {"kind": "DETAINED", "certainty": "reported", "source": "a colleague", "reason": "seen"}
    clients["coordinator"].post(url + "decision/", form)
    clients["coordinator2"].post(url + "clear/")
    timeline = clients["coordinator"].get(url).content.decode().split('id="timeline"')[1]
    assert "by coordinator2" in timeline and "by coordinator" in timeline.replace("2", "")


# --- Item 7: a web call for help is never refused and learns it was seen -------------------------


@pytest.mark.parametrize("status", ["NEED_HELP", "INJURED"])
def test_an_over_long_note_never_refuses_a_call_for_help(
    clients: Any, team: Any, status: str
) -> None:
    note = "trapped under the stairs of the east wing, " * 100  # ~4,300 characters
    answer = clients["staff"].post("/safety/", {"status": status, "note": note, "area": "999999"})
    assert answer.status_code == 302
    made = CheckIn.objects.get(person=team.staff)
    assert made.status == status and made.note == note.strip()  # kept whole
    assert fresh(team.staff).state == status
    assert Alert.objects.filter(person=team.staff, checkin_id=made.pk).exists()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM safety_checkin WHERE id = %s", [made.pk])
        assert "stairs" not in str(cursor.fetchone()[0])  # encrypted at rest


def test_the_timeline_shows_a_long_note_shortened(clients: Any, team: Any) -> None:
    note = "x" * 2000 + " THE-END"
    clients["staff"].post("/safety/", {"status": "NEED_HELP", "note": note})
    page = clients["coordinator"].get(f"/safety/person/{team.staff.pk}/").content.decode()
    summary = page.split('class="note-short"')[1].split("</summary>")[0]
    assert "…" in summary and "THE-END" not in summary


def test_the_field_page_shows_whether_the_call_was_seen(
    frozen: Any, world: Any, clients: Any, team: Any
) -> None:
    clients["staff"].post("/safety/", {"status": "NEED_HELP"})
    page = clients["staff"].get("/safety/").content.decode()
    assert "Received 15:00, not yet seen" in page  # 12:00 UTC in Damascus (UTC+3)
    assert 'data-poll="' in page and "call.js" in page
    assert clients["staff"].get("/safety/call/?v=open").status_code == 204  # unchanged
    frozen.shift(3 * M)
    alert = Alert.objects.get(person=team.staff)
    alerts.acknowledge(alert=alert, by=member(world, "coordinator"))
    part = clients["staff"].get("/safety/call/?v=open")
    assert part.status_code == 200 and "Seen 15:03" in part.content.decode()
    page = clients["staff"].get("/safety/").content.decode()
    assert "Seen 15:03" in page and "not yet seen" not in page
    assert "data-poll" not in page and "call.js" not in page  # nothing left to wait for


def test_a_leads_api_safe_is_held_and_says_so(world: Any, team: Any) -> None:
    import json

    from django.test import Client

    from salama.safety.tokens import create_token

    call_for_help(team.k12)
    token = create_token(user=world.users["lead"], org=world.org, name="phone")
    answer = Client().post(
        "/api/checkins",
        json.dumps({"status": "SAFE", "codename": "K12"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["basis"] == "proxy_seen" and answer.json()["is_held"] is True
    assert fresh(team.k12).state == "NEED_HELP"
