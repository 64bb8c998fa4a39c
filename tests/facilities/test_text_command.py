"""The facility text command (FA1 item 5), in both languages, through the real inbound path."""

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from salama.accounts.models import Organisation
from salama.facilities.commands import words_for
from salama.facilities.models import StatusUpdate
from salama.facilities.textparse import Words, parse_facility
from salama.lib import clock
from salama.messaging.inbound import receive
from salama.messaging.models import InboundMessage
from salama.messaging.simulator import simulate
from salama.people.models import Facility
from tests.facilities.helpers import NAME, NAME_AR, make_facility, status_of
from tests.messaging import text_helpers
from tests.messaging.outbox_helpers import T0
from tests.messaging.text_helpers import NUMBERS, Roster

roster = text_helpers.roster
pytestmark = pytest.mark.django_db
WORDS = Words.build()


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def facility(roster: Roster) -> Facility:
    return make_facility(roster.org, roster.sukkari)


def text(roster: Roster, sender: str, body: str, **kw: Any) -> dict[str, Any]:
    _row, result = receive(org=roster.org, channel="simulator", sender=sender, body=body, **kw)
    assert result is not None
    return result


# --- Parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "functionality", "stocks"),
    [
        ("FAC Q7X PARTIAL FUEL 2D", "partial", {"fuel": 2.0}),
        ("fac q7x partial fuel 2 d", "partial", {"fuel": 2.0}),
        ("FAC Q7X PARTAL OXYGN 2D", "partial", {"oxygen": 2.0}),  # typos
        ("FAC Q7X down fuel 36h oxygen 1.5d", "none", {"fuel": 1.5, "oxygen": 1.5}),
        ("مشفى Q7X جزئي مازوت ٢ي", "partial", {"fuel": 2.0}),  # Arabic-Indic digit
        ("مشفى Q7X جزئى مازوت ۲ يوم", "partial", {"fuel": 2.0}),  # yaa variant, Persian digit
        ("مشفى Q7X متوقف اكسجين ٣ي", "none", {"oxygen": 3.0}),
        ("مشفى Q7X متوقق مازوت ١٢س", "none", {"fuel": 0.5}),  # typo, hours
        ("FAC Q7X FUEL 3D", None, {"fuel": 3.0}),
    ],
)
def test_the_command_is_read_in_both_languages(
    body: str, functionality: str | None, stocks: dict[str, float]
) -> None:
    parsed = parse_facility(body, WORDS)
    assert parsed is not None and not parsed.error
    assert parsed.code == "Q7X"
    assert parsed.functionality == functionality and parsed.stocks == stocks


def test_beds_are_read() -> None:
    parsed = parse_facility("FAC Q7X BEDS 40/60", WORDS)
    assert parsed is not None and (parsed.beds_occupied, parsed.beds_total) == (40, 60)
    parsed = parse_facility("مشفى Q7X أسرة ٤٠ ٦٠", WORDS)
    assert parsed is not None and (parsed.beds_occupied, parsed.beds_total) == (40, 60)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("FAC", "no_code"),
        ("FAC Q7X", "nothing"),
        ("FAC Q7X FUEL -2D", "negative"),
        ("FAC Q7X PARTIAL BANANAS", "unknown_word"),
        ("FAC Q7X FUEL lots", "unknown_word"),
    ],
)
def test_bad_commands_name_their_error(body: str, error: str) -> None:
    parsed = parse_facility(body, WORDS)
    assert parsed is not None and parsed.error == error


def test_other_texts_are_not_the_command() -> None:
    for body in ("SAFE", "آمن", "help fuel", "2", "AT Sukkari"):
        assert parse_facility(body, WORDS) is None


def test_the_organisation_can_rename_the_words(roster: Roster) -> None:
    org = Organisation.objects.get(pk=roster.org.pk)
    org.settings["facility_keywords"] = {"rename": {"fac": "zz", "fuel": "juice"}}
    words = words_for(org)
    assert parse_facility("FAC Q7X PARTIAL", words) is None
    parsed = parse_facility("ZZ Q7X PARTIAL JUICE 2D", words)
    assert parsed is not None and parsed.stocks == {"fuel": 2.0}


# --- Through the inbound path ----------------------------------------------------------------


def test_a_lead_updates_a_facility_by_text(roster: Roster, facility: Facility) -> None:
    result = text(roster, NUMBERS["lead"], "FAC Q7X PARTIAL FUEL 2D")
    assert result["action"] == "facility_update"
    assert result["facility"] == "Q7X" and result["functionality"] == "partial"
    assert result["stocks"] == {"fuel": 2.0}
    status = status_of(facility)
    assert status.functionality == "partial" and status.stocks["fuel"]["days"] == 2.0
    update = StatusUpdate.objects.get(pk=result["update"])
    assert update.channel == "sms" and update.by_person == roster.lead
    assert update.inbound_id == result["inbound"] if "inbound" in result else True
    reply = result["reply"]
    assert "partial" in reply and "fuel 48h" in reply
    assert NAME not in reply and "Q7X" not in reply


def test_the_arabic_command_gets_an_arabic_reply(roster: Roster, facility: Facility) -> None:
    roster.lead.language = "ar"
    roster.lead.save()
    result = text(roster, NUMBERS["lead"], "مشفى q7x جزئي مازوت ٢ي")
    assert result["action"] == "facility_update" and result["functionality"] == "partial"
    assert "جزئي" in result["reply"] and NAME_AR not in result["reply"]


def test_unknown_code_changes_nothing_and_says_so(roster: Roster, facility: Facility) -> None:
    result = text(roster, NUMBERS["lead"], "FAC ZZ9 PARTIAL")
    assert result["action"] == "facility_refused" and result["reason"] == "unknown_code"
    assert "unknown code" in result["reply"]
    assert not StatusUpdate.objects.exists()
    row = InboundMessage.objects.get(action="facility_refused")
    assert str(row.body) == "FAC ZZ9 PARTIAL"  # the raw text kept


def test_negative_stock_by_text_is_refused(roster: Roster, facility: Facility) -> None:
    result = text(roster, NUMBERS["lead"], "FAC Q7X FUEL -2D")
    assert result["action"] == "facility_refused" and "negative" in result["reply"]
    assert not StatusUpdate.objects.exists()


def test_a_late_text_is_kept_as_history(roster: Roster, facility: Facility, _clock: Any) -> None:
    text(roster, NUMBERS["lead"], "FAC Q7X NONE")
    sent = clock.now() - timedelta(hours=2)
    result = text(roster, NUMBERS["lead"], "FAC Q7X FULL", sent_at=sent)
    assert result["reason"] == "late" and result["is_current"] is False
    assert "newer status" in result["reply"]
    assert status_of(facility).functionality == "none"


def test_staff_cannot_update_a_facility(roster: Roster, facility: Facility) -> None:
    result = text(roster, NUMBERS["k1"], "مشفى Q7X متوقف")
    assert result["action"] == "not_understood"
    assert not StatusUpdate.objects.exists()


def test_a_help_word_wins_over_the_command(roster: Roster, facility: Facility) -> None:
    result = text(roster, NUMBERS["lead"], "FAC Q7X NONE help")
    assert result["action"] == "checkin" and result["status"] == "NEED_HELP"


def test_the_simulator_reports_the_update_as_json(roster: Roster, facility: Facility) -> None:
    result = simulate(org=roster.org, text="FAC Q7X PARTIAL FUEL 2D", sender=NUMBERS["lead"])
    assert result["action"] == "facility_update" and result["facility"] == "Q7X"
    assert result["functionality"] == "partial"


def test_salama_text_json_reports_the_facility_update(roster: Roster, facility: Facility) -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("text", "FAC Q7X PARTIAL FUEL 2D", sender=NUMBERS["lead"], json=True, stdout=out)
    result = json.loads(out.getvalue())
    assert result["action"] == "facility_update" and result["facility"] == "Q7X"
    assert result["functionality"] == "partial" and result["stocks"] == {"fuel": 2.0}


def test_a_coordinator_renames_the_words_on_the_page(
    roster: Roster, facility: Facility, coordinator: Any
) -> None:
    response = coordinator.post(
        "/facilities/words/", {"rename": "fac = zz\nfuel = juice", "add": "kaput = none"}
    )
    assert response.status_code == 302
    roster.org.refresh_from_db()  # as the next request would read it
    result = text(roster, NUMBERS["lead"], "ZZ Q7X KAPUT JUICE 1D")
    assert result["action"] == "facility_update" and result["functionality"] == "none"
    assert result["stocks"] == {"fuel": 1.0}
    assert text(roster, NUMBERS["lead"], "FAC Q7X FULL")["action"] == "not_understood"


def test_bad_words_are_refused_with_a_reason(roster: Roster, coordinator: Any) -> None:
    response = coordinator.post("/facilities/words/", {"add": "x1 = gold"})
    assert response.status_code == 200 and "Unknown meaning" in response.content.decode()
    response = coordinator.post("/facilities/words/", {"rename": "nothere = zz"})
    assert "no word" in response.content.decode()
    assert "facility_keywords" not in Organisation.objects.get(pk=roster.org.pk).settings
