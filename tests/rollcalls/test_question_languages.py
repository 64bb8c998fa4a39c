"""U1 item 5: a roll call's own question in each language. A coordinator writes the question in
Arabic and in English; each recipient's SMS asks it in their language only, through the real
send path (composer page or API -> snapshot -> outbox -> channel), and a re-send does the same.
Where only one is written, it is asked as written (the fallback)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from salama.messaging.outbox import dispatch_outbox
from salama.rollcalls import services
from salama.rollcalls.models import RollCall
from salama.safety.tokens import create_token
from tests.messaging.text_helpers import NUMBERS, Roster, make_roster

pytestmark = pytest.mark.django_db
START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
ARABIC = "هل وصلكم الماء عند البوابة الشمالية؟"
ENGLISH = "Did water reach the north gate?"


@pytest.fixture
def roster(world: Any) -> Roster:
    return make_roster(world)


@pytest.fixture
def sink(settings: Any, tmp_path: Path) -> Path:
    settings.OUTBOX_CONSOLE_SINK = str(tmp_path / "console.jsonl")
    return tmp_path / "console.jsonl"


def _sent(sink: Path, traveller: Any) -> dict[str, list[str]]:
    """Send everything queued through the console channel; the bodies each phone got."""
    for _i in range(200):
        traveller.shift(timedelta(seconds=2))
        if not dispatch_outbox():
            break
    got: dict[str, list[str]] = {}
    for line in sink.read_text().splitlines() if sink.exists() else []:
        row = json.loads(line)
        got.setdefault(row["to"], []).append(row["body"])
    return got


def _composer(coordinator: Client, roster: Roster, **fields: str) -> Any:
    persons = [roster.k1, roster.lead]  # k1 reads Arabic, the lead English
    return coordinator.post(
        "/rollcalls/",
        {
            "question": ENGLISH,
            "codenames": " ".join(p.codename for p in persons),
            "is_safety": "on",
            "minutes": "60",
            "resend_after": "0",
            "resend_max": "1",
            "action": "launch",
            **fields,
        },
    )


def test_each_recipient_is_asked_in_their_own_language_only(
    roster: Roster, coordinator: Client, sink: Path
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        response = _composer(coordinator, roster, question_ar=ARABIC, question_en=ENGLISH)
        assert response.status_code == 302, response.content.decode()[:2000]
        roll_call = RollCall.objects.for_org(roster.org).get()
        assert (roll_call.question_ar, roll_call.question_en) == (ARABIC, ENGLISH)
        got = _sent(sink, traveller)
        arabic, english = got[NUMBERS["k1"]], got[NUMBERS["lead"]]
        assert len(arabic) == len(english) == 1
        assert ARABIC in arabic[0] and not re.search(r"[A-Za-z]{3}", arabic[0]), arabic
        assert ENGLISH in english[0] and not re.search(r"[\u0600-\u06ff]", english[0]), english
        # A re-send to the silent asks the same, each in their language.
        services.resend_silent(roll_call)
        again = _sent(sink, traveller)
        assert ARABIC in again[NUMBERS["k1"]][-1] and ENGLISH not in again[NUMBERS["k1"]][-1]
        assert ENGLISH in again[NUMBERS["lead"]][-1] and ARABIC not in again[NUMBERS["lead"]][-1]


def test_without_a_question_in_their_language_a_recipient_gets_the_one_written(
    roster: Roster, coordinator: Client, sink: Path
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        assert _composer(coordinator, roster).status_code == 302
        got = _sent(sink, traveller)
        assert ENGLISH in got[NUMBERS["k1"]][0]  # the fallback: the question as written
        assert ENGLISH in got[NUMBERS["lead"]][0]


def test_an_arabic_question_without_arabic_letters_is_a_form_error(
    roster: Roster, coordinator: Client
) -> None:
    response = _composer(coordinator, roster, question_ar="Water?")
    assert response.status_code == 200
    assert "The question in Arabic has no Arabic letters." in response.content.decode()
    assert not RollCall.objects.for_org(roster.org).exists()


def test_the_api_takes_both_questions_and_answers_a_problem_for_a_bad_one(
    roster: Roster, world: Any, sink: Path
) -> None:
    token = create_token(user=world.users["coordinator"], org=world.org, name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    payload = {
        "question": ENGLISH,
        "question_ar": ARABIC,
        "target": {"person_ids": [roster.k1.pk, roster.lead.pk]},
    }
    bad = Client().post(
        "/api/rollcalls",
        json.dumps({**payload, "question_en": ARABIC}),
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["detail"] == "The question in English is written in Arabic letters."
    too_long = Client().post(
        "/api/rollcalls",
        json.dumps({**payload, "question_ar": "م" * 301}),
        content_type="application/json",
        **headers,
    )
    assert too_long.status_code == 422 and too_long.json()["detail"]
    with time_machine.travel(START, tick=False) as traveller:
        made = Client().post(
            "/api/rollcalls", json.dumps(payload), content_type="application/json", **headers
        )
        assert made.status_code == 201, made.content
        got = _sent(sink, traveller)
    assert ARABIC in got[NUMBERS["k1"]][0] and ENGLISH not in got[NUMBERS["k1"]][0]
    assert ENGLISH in got[NUMBERS["lead"]][0] and ARABIC not in got[NUMBERS["lead"]][0]
