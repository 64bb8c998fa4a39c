"""The text protocol applied (issue 7 item 2, DESIGN §8): who sent it decides what it may do."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from salama.alerts.models import Alert, AlertKind
from salama.alerts.services import new_alert
from salama.lib import clock
from salama.messaging.inbound import attach_and_replay, receive
from salama.messaging.models import InboundMessage, Message
from salama.people.models import ContactPoint, ContactState
from salama.safety.models import CheckIn
from salama.safety.services import make_decision
from tests.messaging import text_helpers
from tests.messaging.outbox_helpers import T0
from tests.messaging.text_helpers import NUMBERS, Roster

roster = text_helpers.roster

pytestmark = pytest.mark.django_db


def text(roster: Roster, sender: str, body: str, **kw: Any) -> dict[str, Any]:
    _row, result = receive(org=roster.org, channel="simulator", sender=sender, body=body, **kw)
    assert result is not None
    return result


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_safe_in_arabic_from_own_number_is_a_self_checkin(roster: Roster) -> None:
    result = text(roster, NUMBERS["k1"], "آمن")
    roster.k1.refresh_from_db()
    assert result["action"] == "checkin" and result["status"] == "SAFE"
    assert roster.k1.state == "SAFE" and roster.k1.state_basis == "self"
    assert roster.k1.heard_at == T0
    assert result["reply"] and "آمن" not in result["reply"]
    point = ContactPoint.objects.get(pk=roster.points["k1"].pk)
    assert point.last_inbound_at == T0


def test_sender_time_is_used_only_when_the_gateway_gives_it(roster: Roster) -> None:
    earlier = T0 - timedelta(minutes=7)
    text(roster, NUMBERS["k1"], "safe", sent_at=earlier)
    text(roster, NUMBERS["k3"], "safe")
    first, second = CheckIn.objects.order_by("pk")
    assert first.effective_at == earlier and first.device_at == earlier
    assert second.device_at is None and second.effective_at == T0


def test_help_is_a_checkin_and_an_alert_never_not_understood(roster: Roster) -> None:
    result = text(roster, NUMBERS["k1"], "ساعدوني الحقوني")
    roster.k1.refresh_from_db()
    assert result["action"] == "checkin" and result["status"] == "NEED_HELP"
    assert roster.k1.state == "NEED_HELP"
    assert Alert.objects.filter(person=roster.k1, kind=AlertKind.NEED_HELP).count() == 1
    assert result["reply"]  # "received 03:11, not yet seen", from the alert
    again = text(roster, NUMBERS["k1"], "help")
    assert Alert.objects.filter(person=roster.k1, kind=AlertKind.NEED_HELP).count() == 1
    assert again["alert"] == result["alert"]


def test_shared_number_asks_for_the_codename_then_attributes(roster: Roster) -> None:
    bare = text(roster, NUMBERS["ward"], "SAFE")
    assert bare["action"] == "not_understood" and bare["reason"] == "ask_codename"
    assert not CheckIn.objects.exists()
    named = text(roster, NUMBERS["ward"], "SAFE K2")
    roster.k2.refresh_from_db()
    assert named["action"] == "checkin" and roster.k2.state == "SAFE"
    both = text(roster, NUMBERS["ward"], "1 K2 K3")
    assert sorted(both["codenames"]) == ["K2", "K3"]
    stranger = text(roster, NUMBERS["ward"], "SAFE K1")
    assert stranger["reason"] == "ask_codename"
    assert not CheckIn.objects.filter(person=roster.k1).exists()


def test_lead_proxy_all_except(roster: Roster) -> None:
    result = text(roster, NUMBERS["lead"], "SAFE ALL -K3")
    assert result["action"] == "proxy_checkin"
    assert sorted(result["codenames"]) == ["K1", "K2"]
    for person, state in ((roster.k1, "SAFE"), (roster.k2, "SAFE"), (roster.k3, "")):
        person.refresh_from_db()
        assert person.state == state
    assert CheckIn.objects.filter(person=roster.k1, basis="proxy_seen").exists()


def test_non_lead_all_good_is_only_their_own_checkin(roster: Roster) -> None:
    result = text(roster, NUMBERS["k3"], "SAFE ALL")
    assert result["action"] == "checkin" and result["codenames"] == ["K3"]
    roster.k1.refresh_from_db()
    assert roster.k1.state == ""


def test_detained_leads_number_changes_nothing(roster: Roster, world: Any) -> None:
    make_decision(
        person=roster.lead,
        kind="DETAINED",
        certainty="reported",
        made_by=None,
        source="a colleague",
        reason="not seen",
    )
    result = text(roster, NUMBERS["lead"], "SAFE ALL")
    assert result["action"] == "ignored" and result["reason"] == "decision"
    for person in (roster.k1, roster.k2, roster.k3):
        person.refresh_from_db()
        assert person.state == "" and person.heard_at is None
    alert = Alert.objects.get(number=result["alert"])
    assert alert.kind == AlertKind.CONTACT_SINCE_DECISION and alert.quiet_to_sender
    assert not Message.objects.filter(contact_point=roster.points["lead"]).exists()


def test_detained_persons_safe_is_only_contact_since_decision(roster: Roster) -> None:
    make_decision(
        person=roster.k1,
        kind="DETAINED",
        certainty="reported",
        made_by=None,
        source="a colleague",
        reason="not seen",
    )
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        result = text(roster, NUMBERS["k1"], "safe")
    roster.k1.refresh_from_db()
    assert result["action"] == "ignored"
    assert roster.k1.state == "" and roster.k1.heard_at is None
    assert roster.k1.contact_since_decision_at == T0 + timedelta(minutes=5)
    assert Alert.objects.filter(kind=AlertKind.CONTACT_SINCE_DECISION).count() == 1


def test_compromised_number_changes_nothing_and_alerts(roster: Roster) -> None:
    point = roster.points["k1"]
    point.state = ContactState.COMPROMISED
    point.save()
    for body in ("safe", "AT Sukkari", "help"):
        result = text(roster, NUMBERS["k1"], body)
        assert result["action"] == "ignored" and result["reason"] == "compromised"
    roster.k1.refresh_from_db()
    assert roster.k1.state == "" and roster.k1.area_id is None
    assert Alert.objects.filter(kind=AlertKind.COMPROMISED_CONTACT).exists()


def test_status_answers_only_own_last_state(roster: Roster) -> None:
    text(roster, NUMBERS["k3"], "injured")
    result = text(roster, NUMBERS["k3"], "STATUS")
    assert result["action"] == "status" and result["status"] == "INJURED"
    assert "K3" not in result["reply"] and "K1" not in result["reply"]


def test_at_area_moves_the_person_and_the_reply_names_no_place(roster: Roster) -> None:
    result = text(roster, NUMBERS["k1"], "في السكري")
    roster.k1.refresh_from_db()
    assert result["action"] == "move" and result["area"] == "Al-Sukkari"
    assert roster.k1.area_id == roster.sukkari.pk
    assert "السكري" not in result["reply"] and "Sukkari" not in result["reply"]


def test_ok_n_acknowledges_from_a_coordinator_and_is_not_understood_from_others(
    roster: Roster,
) -> None:
    alert = new_alert(org=roster.org, kind="need_help", person=roster.k3)
    staff = text(roster, NUMBERS["k1"], f"OK {alert.number}")
    assert staff["action"] == "not_understood"  # H1 item 5: not a SAFE, nothing changes
    assert not CheckIn.objects.exists()
    alert.refresh_from_db()
    assert alert.state == "open"
    ack = text(roster, NUMBERS["coordinator"], f"OK {alert.number}")
    alert.refresh_from_db()
    assert ack["action"] == "acknowledge" and alert.state == "acknowledged"
    assert alert.acknowledged_via == "sms"
    again = text(roster, NUMBERS["coordinator"], f"OK {alert.number}")
    assert again["action"] == "acknowledge" and again["reason"] == "taken"
    lead = text(roster, NUMBERS["lead"], f"OK {alert.number}")  # a lead it was not sent to
    assert lead["action"] == "not_understood"


def test_unclear_is_asked_back_once_then_goes_to_a_coordinator(roster: Roster) -> None:
    first = text(roster, NUMBERS["k1"], "banana")
    assert first["action"] == "not_understood" and first["reason"] != "to_coordinator"
    second = text(roster, NUMBERS["k1"], "banana split")
    assert second["reason"] == "to_coordinator"
    row = InboundMessage.objects.order_by("-pk").first()
    assert row is not None and row.state == "unmatched"
    text(roster, NUMBERS["k1"], "safe")  # understood: the next unclear one is asked back again
    assert text(roster, NUMBERS["k1"], "banana")["reason"] != "to_coordinator"


def test_unknown_number_gets_the_same_neutral_reply_whatever_it_sent(roster: Roster) -> None:
    replies = {
        text(roster, NUMBERS["unknown"], body)["reply"] for body in ("SAFE", "STATUS", "xyz")
    }
    assert len(replies) == 1 and replies != {""}
    assert not CheckIn.objects.exists()
    assert InboundMessage.objects.filter(state="unmatched").count() == 3


def test_unknown_help_raises_one_alert_per_number_with_the_neutral_reply(roster: Roster) -> None:
    neutral = text(roster, NUMBERS["unknown"], "hello")["reply"]
    first = text(roster, NUMBERS["unknown"], "HELP")
    second = text(roster, NUMBERS["unknown"], "مساعدة")
    assert first["reply"] == second["reply"] == neutral
    alerts = Alert.objects.filter(kind=AlertKind.UNKNOWN_SENDER_HELP)
    assert alerts.count() == 1 and first["alert"] == second["alert"]


def test_unknown_number_is_rate_limited(roster: Roster) -> None:
    results = [text(roster, NUMBERS["unknown"], "hi") for _ in range(12)]
    assert [r["reason"] for r in results].count("rate_limited") == 2
    assert results[-1]["reply"] == ""
    assert InboundMessage.objects.count() == 12  # stored all the same


def test_attach_replays_at_the_original_time_as_provisional(roster: Roster, world: Any) -> None:
    text(roster, NUMBERS["unknown"], "safe")
    row = InboundMessage.objects.get()
    coordinator = world.users["coordinator"].memberships.get()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        done = attach_and_replay(inbound=row, person=roster.k1, by=coordinator)
    roster.k1.refresh_from_db()
    assert done[0]["action"] == "checkin"
    checkin = CheckIn.objects.get(person=roster.k1)
    assert checkin.basis == "provisional" and checkin.received_at == T0
    assert roster.k1.state == "SAFE" and roster.k1.state_at == T0
    point = ContactPoint.objects.get(pk=checkin.contact_point_id)
    assert point.state == ContactState.PROVISIONAL and list(point.persons.all()) == [roster.k1]


def test_new_with_the_personal_code_attaches_the_number(roster: Roster) -> None:
    wrong = text(roster, NUMBERS["unknown"], "NEW K2 wrong1")
    right = text(roster, "+963944100098", "NEW K2 731946")
    assert wrong["action"] == "unknown" and right["action"] == "new_number"
    assert wrong["reply"] == right["reply"]  # nothing on the wire says which one worked
    after = text(roster, "+963944100098", "safe")
    roster.k2.refresh_from_db()
    assert after["action"] == "checkin" and roster.k2.state_basis == "provisional"


def test_failed_handling_keeps_the_text_for_the_worker(roster: Roster, monkeypatch: Any) -> None:
    from salama.messaging import handler
    from salama.messaging.inbound import retry_inbound

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(handler, "handle", broken)
    row, result = receive(org=roster.org, channel="simulator", sender=NUMBERS["k1"], body="safe")
    assert result is None
    row.refresh_from_db()
    assert row.state == "failed" and row.last_error == "error RuntimeError"
    assert not CheckIn.objects.exists()
    monkeypatch.undo()
    with time_machine.travel(clock.now() + timedelta(minutes=1), tick=False):
        assert retry_inbound()
    row.refresh_from_db()
    assert row.state == "handled" and CheckIn.objects.filter(person=roster.k1).exists()


def test_a_repeated_gateway_id_is_stored_once(roster: Roster) -> None:
    first = receive(org=roster.org, channel="http_json", sender=NUMBERS["k1"], body="safe",
                    gateway_ref="abc")  # fmt: skip
    second = receive(org=roster.org, channel="http_json", sender=NUMBERS["k1"], body="safe",
                     gateway_ref="abc")  # fmt: skip
    assert first[0].pk == second[0].pk and second[1] is None
    assert InboundMessage.objects.count() == 1 and CheckIn.objects.count() == 1


def test_safe_all_skips_an_open_call_for_help_and_says_how_many(roster: Roster) -> None:
    text(roster, NUMBERS["k1"], "help")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        result = text(roster, NUMBERS["lead"], "SAFE ALL")
        named = text(roster, NUMBERS["lead"], "SAFE K1")
    roster.k1.refresh_from_db()
    assert roster.k1.state == "NEED_HELP"
    assert not CheckIn.objects.filter(person=roster.k1, basis="proxy_seen").exists()
    assert result["action"] == "proxy_checkin" and sorted(result["codenames"]) == ["K2", "K3"]
    assert result["reason"] == "help_open"
    for answer in (result, named):
        assert "1 not marked safe: they asked for help" in answer["reply"]
        assert "K1" not in answer["reply"]  # codenames only on the page
