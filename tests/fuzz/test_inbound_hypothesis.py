"""S2 §5: whatever text arrives, from whichever number, the inbound path stores it and handles
it without raising (a text that raised would wait in "failed" for a retry that fails again)."""

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salama.messaging.inbound import receive
from salama.messaging.models import InboundMessage, InboundState
from salama.people.models import ContactPoint, ContactState
from tests.people.factories import NUMBERS

pytestmark = pytest.mark.django_db

WORDS = [
    "SAFE", "OK", "HELP", "INJURED", "AT", "STATUS", "ALL", "-K12", "K12", "K99", "1", "2", "3",
    "آمن", "بخير", "مساعدة", "مصاب", "في", "السكري", "tamam", "mni7", "١", "٣", "OK 1", "0",
    "99999999999999999999", "\u200f", "ـ", "\x00", "%s", "{codename}", "<script>",
]  # fmt: skip
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), max_size=8).map(" ".join),
)
SENDERS = st.sampled_from(["own", "lead", "shared", "compromised", "unknown", "garbage"])


def sender_number(kind: str) -> str:
    return {
        "own": NUMBERS["K21"][0],
        "lead": NUMBERS["K10"][0],
        "shared": NUMBERS["K12"][0],
        "compromised": NUMBERS["K11"][1],
        "unknown": "+963944999999",
        "garbage": "not a number ☃",
    }[kind]


def test_inbound_handler_never_raises_on_arbitrary_text(world: Any, roster: Any) -> None:
    for point in roster.persons["K11"].contact_points.all():
        if point.value == NUMBERS["K11"][1]:
            ContactPoint.objects.filter(pk=point.pk).update(state=ContactState.COMPROMISED)

    @settings(
        max_examples=60, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(text=TEXTS, kind=SENDERS)
    def run(text: str, kind: str) -> None:
        with transaction.atomic():
            row, _result = receive(
                org=world.org, channel="simulator", sender=sender_number(kind), body=text
            )
            stored = InboundMessage.objects.get(pk=row.pk)
            assert stored.body == text
            assert stored.state != InboundState.FAILED, stored.last_error
            transaction.set_rollback(True)

    run()
