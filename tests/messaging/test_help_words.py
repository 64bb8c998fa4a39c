"""The words (issue H1 item 11): misspelt help and injury words, fire and trapped words, and
Arabizi written with digits raise NEED_HELP or INJURED and are never asked back; ordinary words
near them do not."""

from __future__ import annotations

import pytest

from salama.messaging.inbound import receive
from salama.messaging.models import Message
from salama.messaging.parser import parse
from tests.messaging import text_helpers
from tests.messaging.text_helpers import NUMBERS, Roster

roster = text_helpers.roster

MISSPELT_HELP = [
    "hlep", "hepl", "halp", "hellp", "hlp", "emergancy", "ambulence", "rescu", "urgnet",
    "مساعد", "مساعدى", "ساعدوتي", "النجد", "نجدت", "اسعف", "انقزوني", "محاصير",
]  # fmt: skip
MISSPELT_INJURY = [
    "injurd", "injred", "injruy", "inujred", "wonded", "bleding", "hurtt", "woundd",
    "مصاپ", "مصابب", "جريخ", "مجرح", "نزيق", "اصابت",
]  # fmt: skip
FIRE_AND_TRAPPED = [
    "fire", "FIRE!", "fire in the building", "حريق", "في حريق", "بالحريق", "trapped",
    "stuck", "we are stuck", "basement", "stuck in the basement", "قبو", "بالقبو",
    "عالقين بالقبو", "7ari2", "7areeq",
]  # fmt: skip
ARABIZI_HELP = [
    "sa3dooni", "sa3edooni", "sa3idni", "mosa3ade", "mosa3ada", "mousa3ada", "b5atar", "5atar",
    "m7asar", "m7asareen", "3al2an", "3ale2", "el najde", "2s3af",
]  # fmt: skip
ARABIZI_INJURY = [
    "2isabe", "isabe", "2sabe", "jri7", "jare7", "majroo7", "majrou7a", "m2sab", "nazeef",
]  # fmt: skip


@pytest.mark.parametrize("message", MISSPELT_HELP + FIRE_AND_TRAPPED + ARABIZI_HELP)
def test_help_words_misspelt_fire_trapped_and_arabizi_ask_for_help(message: str) -> None:
    parsed = parse(message)
    assert (parsed.kind, parsed.status) == ("checkin", "NEED_HELP"), message


@pytest.mark.parametrize("message", MISSPELT_INJURY + ARABIZI_INJURY)
def test_injury_words_misspelt_and_arabizi_report_an_injury(message: str) -> None:
    parsed = parse(message)
    assert (parsed.kind, parsed.status) == ("checkin", "INJURED"), message


@pytest.mark.parametrize(
    "message",
    [
        "fine", "I would go", "found it, all good", "safe at the shop", "hello", "five",
        "safe, hot here", "tamam, filled the tank", "shop shut", "3ala el tari2", "shu 3amel",
        "7aki ba3den", "7elu", "حر شديد بس تمام", "قليل من الخبز",
        "نازل عالسوق", "الاسعار غالية", "في طريق الباب", "الفريق بخير", "7elo", "mni7",
    ],
)  # fmt: skip
def test_ordinary_words_near_help_words_are_no_call_for_help(message: str) -> None:
    assert parse(message).status not in ("NEED_HELP", "INJURED"), message


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["hlep", "stuck in basement", "حريق", "7ari2", "mosa3ade"])
def test_a_new_help_word_raises_the_alert_and_is_never_asked_back(
    roster: Roster, body: str
) -> None:
    row, result = receive(org=roster.org, channel="simulator", sender=NUMBERS["k3"], body=body)
    assert result is not None and result["status"] == "NEED_HELP", result
    assert not Message.objects.filter(template__startswith="reply_ask").exists()
    assert not Message.objects.filter(template__startswith="reply_not").exists()
