"""``NEW <codename> <code>`` against guessing (S3 item 2): failures are counted per person and per
sending number before the code is compared; past a few, tries are refused for a while and the
coordinators get a routine alert; the reply never tells a wrong code, a locked code and an
unknown codename apart."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from salama.accounts.models import AuditEvent
from salama.alerts.models import Alert, AlertKind
from salama.messaging import services
from salama.messaging.inbound import receive
from salama.messaging.models import Message
from salama.people.models import ContactPoint
from tests.messaging import text_helpers
from tests.messaging.outbox_helpers import T0
from tests.messaging.text_helpers import Roster

roster = text_helpers.roster

pytestmark = pytest.mark.django_db

ATTACKER = "+963944100090"
CODE = text_helpers.K2_CODE


def text(roster: Roster, sender: str, body: str) -> dict[str, Any]:
    _row, result = receive(org=roster.org, channel="simulator", sender=sender, body=body)
    assert result is not None
    return result


def k2_numbers(roster: Roster) -> set[str]:
    return {str(p.value) for p in ContactPoint.objects.filter(persons=roster.k2)}


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def test_twelve_wrong_codes_then_the_right_one_attach_nothing(roster: Roster, _clock: Any) -> None:
    before = k2_numbers(roster)
    for n in range(12):
        assert text(roster, ATTACKER, f"NEW K2 {482190 + n}")["action"] == "unknown"
    assert text(roster, ATTACKER, f"NEW K2 {CODE}")["action"] == "unknown"
    assert k2_numbers(roster) == before
    # Counted per person too: the right code from a fresh number waits out the lock as well.
    assert text(roster, "+963944100091", f"NEW K2 {CODE}")["action"] == "unknown"
    alert = Alert.objects.get(kind=AlertKind.CODE_LOCKED)  # one alert, however many tries
    assert alert.person_id == roster.k2.pk and not alert.is_life_safety
    told = Message.objects.filter(template="code_locked")
    assert [m.contact_point_id for m in told] == [roster.points["coordinator"].pk]
    assert "K2" not in str(told.get().body) and CODE not in str(told.get().body)
    event = AuditEvent.objects.filter(action="personal_code.locked").first()
    assert event is not None and CODE not in str(event.detail) and ATTACKER not in str(event.detail)
    _clock.shift(services.CODE_LOCK + timedelta(minutes=1))
    assert text(roster, "+963944100091", f"NEW K2 {CODE}")["action"] == "new_number"
    assert "+963944100091" in k2_numbers(roster)


def test_one_number_trying_many_codenames_is_locked(roster: Roster) -> None:
    for codename in ["K1", "K3", "K9", "L1", "K77"]:
        text(roster, ATTACKER, f"NEW {codename} 482193")
    assert text(roster, ATTACKER, f"NEW K2 {CODE}")["action"] == "unknown"
    assert ATTACKER not in k2_numbers(roster)
    assert Alert.objects.filter(kind=AlertKind.CODE_LOCKED).count() == 1
    # K2's own code was never tried: from another number it still works at once.
    assert text(roster, "+963944100091", f"NEW K2 {CODE}")["action"] == "new_number"


def test_wrong_locked_and_unknown_get_the_same_reply(roster: Roster) -> None:
    wrong = text(roster, "+963944100081", "NEW K2 482193")
    unknown = text(roster, "+963944100082", f"NEW K99 {CODE}")
    for n in range(services.CODE_FREE_TRIES):
        text(roster, f"+96394410007{n}", f"NEW K2 {482100 + n}")
    locked = text(roster, "+963944100083", f"NEW K2 {CODE}")
    assert locked["action"] == "unknown"
    assert wrong["reply"] and wrong["reply"] == unknown["reply"] == locked["reply"]


def test_a_new_code_from_a_coordinator_lifts_the_lock(roster: Roster) -> None:
    for n in range(services.CODE_FREE_TRIES):
        text(roster, f"+96394410007{n}", f"NEW K2 {482100 + n}")
    services.set_personal_code(person=roster.k2, code="cedar 903317")
    assert text(roster, "+963944100091", "NEW K2 cedar 903317")["action"] == "new_number"


@pytest.mark.parametrize("code", ["4821", "48219", "tulip7", "Jasmine42", "tulip", "help river"])
def test_short_or_single_word_codes_are_refused(roster: Roster, code: str) -> None:
    with pytest.raises(services.ValidationError):
        services.set_personal_code(person=roster.k1, code=code)


@pytest.mark.parametrize("code", ["482193", "۴۸۲۱۹۳", "tulip river", "Olive Garden 2024"])
def test_six_digits_or_two_words_are_accepted_and_work_by_text(roster: Roster, code: str) -> None:
    services.set_personal_code(person=roster.k1, code=code)
    assert text(roster, "+963944100091", f"NEW K1 {code}")["action"] == "new_number"
