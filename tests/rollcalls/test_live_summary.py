"""The roll-call page reads as sentences (U1 item 8): who answered and what, who has not yet, and
where the messages are, in the viewer's language, with every number bidi-isolated in Arabic."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from salama.lib import clock
from salama.rollcalls import selectors, services
from salama.rollcalls.models import RollCall, RollCallRecipient
from tests.messaging.text_helpers import Roster, make_roster

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sink(settings: Any, tmp_path: Any) -> None:
    settings.OUTBOX_CONSOLE_SINK = str(tmp_path / "console.jsonl")


def _answered(roster: Roster) -> RollCall:
    """Four asked: K1 safe (1), L1 needs help (2), K2 and K3 silent."""
    people = [roster.k1, roster.lead, roster.k2, roster.k3]
    roll_call = services.open_roll_call(
        org=roster.org,
        question="Are you well?",
        target=services.Target(persons=tuple(p.pk for p in people)),
        deadline_at=clock.now() + timedelta(hours=1),
    )
    for person, option in ((roster.k1, 1), (roster.lead, 2)):
        row = RollCallRecipient.objects.get(roll_call=roll_call, person=person)
        services.credit_answer(recipient=row, option=option, via="field_page", timed=True)
    return roll_call


def _summary(client: Any, roll_call: RollCall) -> str:
    url = reverse("rollcalls:live_page", kwargs={"rollcall_number": roll_call.number})
    html = client.get(url).content.decode()
    found = re.search(r'<div id="rollcall-summary"[^>]*>(.*?)</div>', html, re.S)
    assert found, "the page has no summary"
    return found.group(1)


def _labels(roll_call: RollCall, language: str) -> dict[int, str]:
    return {
        int(o["number"]): str(o["label"]) for o in selectors.summary(roll_call, language)["options"]
    }


def test_the_roll_call_page_says_its_figures_in_english(
    world: Any, clients: dict[str, Any]
) -> None:
    roll_call = _answered(make_roster(world))
    text = re.sub(r"<[^>]+>", "", _summary(clients["coordinator"], roll_call))
    safe, help_ = _labels(roll_call, "en")[1], _labels(roll_call, "en")[2]
    assert f"2 of 4 answered: 1 {safe}, 1 {help_}; 2 not yet." in text, text
    assert "Messages: 4 waiting to be sent." in text, text


def test_the_roll_call_page_says_its_figures_in_arabic_with_isolated_numbers(
    world: Any, clients: dict[str, Any]
) -> None:
    roll_call = _answered(make_roster(world))
    coordinator = world.users["coordinator"]
    coordinator.language = "ar"
    coordinator.save(update_fields=["language"])
    html = _summary(clients["coordinator"], roll_call)
    safe, help_ = _labels(roll_call, "ar")[1], _labels(roll_call, "ar")[2]

    def n(value: int) -> str:
        return f'<bdi dir="ltr">{value}</bdi>'

    assert f"أجاب {n(2)} من {n(4)}: {n(1)} {safe}، {n(1)} {help_}؛ {n(2)} لم يجيبا بعد." in html
    assert f"الرسائل: {n(4)} تنتظر الإرسال." in html
    text = re.sub(r"<[^>]+>", "", html)
    assert not re.search(r"[A-Za-z]{3,}", text), f"English left in the Arabic summary: {text}"
