"""The ATTACK text command, off by default, through the real inbound path (both languages)."""

from typing import Any

import pytest
import time_machine

from salama.alerts.models import Alert
from salama.incidents.models import Report
from salama.incidents.orgsettings import set_attack_command
from salama.messaging.inbound import receive
from salama.messaging.models import InboundMessage
from salama.people.models import Person
from salama.safety.models import CheckIn
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


CALLS_FOR_HELP = [
    "ATTACK Sukkari help",
    "ATTACK Sukkari help we are trapped",
    "هجوم السكري ساعدونا",
    "ATTACK Sukkari I am injured",
    "ATTACK Sukkari 2 killed I am injured",
    "هجوم السكري ٣ شهداء وأنا مصاب",
    "ATTACK Sukkari injured",
    "ATTACK Sukkari 2 killed, bleeding",
    "ATTACK Sukkari we have 3 injured",
    "هجوم السكري احنا مصابين",
]


@pytest.mark.parametrize("body", CALLS_FOR_HELP)
def test_a_call_for_help_is_never_swallowed_by_the_command(roster: Roster, body: str) -> None:
    """A help or injury word that is not a reported casualty (help, trapped, ساعدونا, I am
    injured, a lone injury word, we ...): the text is a call for help about the sender, handled
    by the check-in rules as without the command, even beside counted casualties."""
    set_attack_command(org=roster.org, on=True)
    result = text(roster, NUMBERS["k1"], body)
    assert result["action"] == "checkin" and result["status"] in ("NEED_HELP", "INJURED")
    assert result["alert"] is not None and Alert.objects.filter(number=result["alert"]).exists()
    assert Person.objects.get(pk=roster.k1.pk).state == result["status"]
    assert not Report.objects.exists()


@pytest.mark.parametrize("body", CALLS_FOR_HELP[:4])
def test_a_call_for_help_is_handled_the_same_with_the_command_off(
    roster: Roster, body: str
) -> None:
    result = text(roster, NUMBERS["k1"], body)
    assert result["action"] == "checkin" and result["status"] in ("NEED_HELP", "INJURED")
    assert result["alert"] is not None
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("body", "killed", "injured"),
    [
        ("ATTACK Sukkari 2 killed 5 injured", 2, 5),
        ("ATTACK Sukkari shelling, three killed and 4 wounded", 3, 4),
        ("ATTACK Sukkari 6 casualties", None, 6),
        ("ATTACK Sukkari martyrs", None, None),
        ("هجوم السكري ٣ شهداء و٥ جرحى", 3, 5),
        ("هجوم السكري قصف 3 قتلى و 7 مصابين", 3, 7),
        ("هجوم السكري شهيدان وجريحان", 2, 2),
        ("هجوم السكري قتيلان وجرحى", 2, None),
        ("اعتداء السكري استشهد ٤", 4, None),
    ],
)
def test_reported_casualties_are_the_report_not_a_call_for_help(
    roster: Roster, body: str, killed: int | None, injured: int | None
) -> None:
    """Counted casualties (digits, Arabic-Indic digits, number words, dual forms) and plural
    forms that cannot describe the sender are what the report is about: a draft report with
    the counts, no alert, the sender's state untouched, a reply that repeats none of it."""
    set_attack_command(org=roster.org, on=True)
    before = Person.objects.get(pk=roster.k1.pk).state
    result = text(roster, NUMBERS["k1"], body)
    assert result["action"] == "attack_report", result
    report = Report.objects.get()
    assert report.area == roster.sukkari and str(report.raw_text) == body
    assert (report.killed_total, report.injured_total) == (killed, injured)
    assert result["alert"] is None and not Alert.objects.exists()
    assert Person.objects.get(pk=roster.k1.pk).state == before
    assert not CheckIn.objects.filter(person=roster.k1).exists()
    for word in body.replace(",", " ").split()[1:]:
        if len(word) > 2 and not word.isdigit():  # the reply has its own number and time
            assert word not in result["reply"]


def test_counted_casualties_with_the_command_off_stay_a_call_for_help(roster: Roster) -> None:
    result = text(roster, NUMBERS["k1"], "ATTACK Sukkari 2 killed 5 injured")
    assert result["action"] == "checkin" and result["alert"] is not None
    assert not Report.objects.exists()
