"""An alert says what is true now (H1 item 4): the status word follows the person's worst open
report, and a duress alert never tells the coordinators "SAFE"."""

from datetime import timedelta
from typing import Any

import pytest

from salama.alerts import services
from salama.alerts.models import Alert, AlertKind
from salama.messaging import texts
from salama.messaging.inbound import receive
from salama.messaging.models import Message
from salama.people.models import Status
from salama.rollcalls import duress
from salama.safety.services import make_decision
from tests.alerts.conftest import member

pytestmark = pytest.mark.django_db

K21 = "+963944000121"


def text(world: Any, sender: str, body: str) -> dict[str, Any]:
    _row, result = receive(org=world.org, channel="simulator", sender=sender, body=body)
    assert result is not None
    return result


def alert_texts(alert: Alert, point: Any) -> list[Message]:
    return list(
        Message.objects.filter(
            contact_point=point, reason=f"alert:{alert.number}", template="alert_life_safety"
        ).order_by("pk")
    )


def test_help_after_safe_from_a_detained_persons_phone_says_help_and_renotifies_once(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    make_decision(
        person=roster.persons["K21"],
        kind="DETAINED",
        certainty="reported",
        made_by=member(world, "coordinator"),
        source="a colleague's call",
        reason="taken at the checkpoint",
    )
    frozen.shift(timedelta(minutes=5))
    text(world, K21, "SAFE")
    alert = Alert.objects.get(kind=AlertKind.CONTACT_SINCE_DECISION)
    first = alert_texts(alert, roster.coordinator_phone)
    assert len(first) == 1
    language = first[0].language
    safe = texts.status_word(Status.SAFE, language, world.org)
    helpword = texts.status_word(Status.NEED_HELP, language, world.org)
    assert f" {safe} " in str(first[0].body)
    frozen.shift(timedelta(minutes=1))
    text(world, K21, "HELP")
    frozen.shift(timedelta(minutes=1))
    text(world, K21, "HELP")  # the same word again: nobody is told twice
    assert Alert.objects.filter(kind=AlertKind.CONTACT_SINCE_DECISION).count() == 1
    told = alert_texts(alert, roster.coordinator_phone)
    assert len(told) == 2, [str(m.body) for m in told]
    assert f" {helpword} " in str(told[1].body) and f" {safe} " not in str(told[1].body)
    # The ladder's next step says HELP too.
    frozen.shift(timedelta(minutes=10))
    assert services.escalate_alerts()
    step1 = alert_texts(alert, rota.coordinator2_phone)
    assert step1 and f" {helpword} " in str(step1[-1].body)


def test_duress_alert_tells_coordinators_the_organisations_neutral_word_never_safe(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    person = roster.persons["K21"]
    person.language = "en"
    person.save(update_fields=["language"])
    duress.agree_duress(person=person, word="tamam", plan="Call the lawyer")
    for language in ("ar", "en"):
        texts.save_wording(org=world.org, key="status_duress", language=language, body="BLUE")
    result = text(world, K21, "tamam")
    assert result["status"] == "SAFE"  # for the sender, an ordinary SAFE
    alert = Alert.objects.get(kind=AlertKind.DURESS)
    told = alert_texts(alert, roster.coordinator_phone)
    assert len(told) == 1
    body = str(told[0].body)
    assert body.startswith("K21 BLUE")
    for language in ("ar", "en"):
        assert texts.status_word(Status.SAFE, language) not in body


def test_duress_default_word_is_neither_safe_nor_duress(world: Any) -> None:
    for language in ("ar", "en"):
        word = texts.default_body("status_duress", language)
        assert word and word != texts.default_body("status_safe", language)
        assert "duress" not in word.lower() and "إكراه" not in word
