"""The ATTACK text command, off by default, through the real inbound path (both languages)."""

from typing import Any

import pytest
import time_machine

from salama.incidents.models import Report
from salama.incidents.orgsettings import set_attack_command
from salama.messaging.inbound import receive
from salama.messaging.models import InboundMessage
from tests.messaging import text_helpers
from tests.messaging.outbox_helpers import T0
from tests.messaging.text_helpers import NUMBERS, Roster

roster = text_helpers.roster
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def text(roster: Roster, sender: str, body: str) -> dict[str, Any]:
    _row, result = receive(org=roster.org, channel="simulator", sender=sender, body=body)
    assert result is not None
    return result


def test_the_command_is_off_until_the_organisation_turns_it_on(roster: Roster) -> None:
    result = text(roster, NUMBERS["k1"], "ATTACK Sukkari shelling on the clinic 2 killed")
    assert result["action"] != "attack_report"
    assert not Report.objects.exists()


def test_a_report_by_text_is_a_draft_with_its_raw_message(roster: Roster) -> None:
    set_attack_command(org=roster.org, on=True)
    body = "ATTACK Sukkari shelling on the clinic, 2 dead"
    result = text(roster, NUMBERS["k1"], body)
    assert result["action"] == "attack_report"
    report = Report.objects.get()
    assert report.channel == "sms" and report.incident is None
    assert str(report.raw_text) == body and report.reporter_person == roster.k1
    assert report.area == roster.sukkari and report.attack_types == ["heavy_weapons"]
    assert report.killed_total == 2 and report.inbound_id is not None
    reply = result["reply"]
    assert str(report.number) in reply
    for word in ("Sukkari", "shelling", "clinic", "dead", "2 "):
        assert word not in reply


def test_the_arabic_command(roster: Roster) -> None:
    set_attack_command(org=roster.org, on=True)
    roster.k1.language = "ar"
    roster.k1.save()
    result = text(roster, NUMBERS["k1"], "هجوم السكري قصف على المستوصف ووفاة ٣")
    assert result["action"] == "attack_report"
    report = Report.objects.get()
    assert report.killed_total == 3 and "السكري" not in result["reply"]
    assert "البلاغ" in result["reply"]


def test_no_area_stores_no_report_but_keeps_the_text(roster: Roster) -> None:
    set_attack_command(org=roster.org, on=True)
    result = text(roster, NUMBERS["k1"], "ATTACK somewhere shelling")
    assert result["action"] == "attack_refused" and "المنطقة" in result["reply"]  # k1 reads Arabic
    assert not Report.objects.exists()
    assert str(InboundMessage.objects.get(action="attack_refused").body) == (
        "ATTACK somewhere shelling"
    )


@pytest.mark.parametrize("body", ["ATTACK Sukkari help", "ATTACK Sukkari 2 killed 3 injured"])
def test_a_help_or_injury_word_is_never_swallowed_by_the_command(roster: Roster, body: str) -> None:
    """The registry's rule: a text with a help or injury word (killed, martyr, injured ...)
    reaches the check-in, never this command; its sender is treated as in danger."""
    set_attack_command(org=roster.org, on=True)
    result = text(roster, NUMBERS["k1"], body)
    assert result["action"] == "checkin" and result["status"] in ("NEED_HELP", "INJURED")
    assert not Report.objects.exists()
