"""The demo step: one closed roll call with answers; loading again duplicates nothing."""

import pytest

from salama.demo.load import load_demo
from salama.rollcalls.models import RollCall, RollCallRecipient


@pytest.mark.django_db
def test_demo_has_one_closed_roll_call_with_answers() -> None:
    load_demo()
    load_demo()
    roll_call = RollCall.objects.get()
    assert roll_call.state == "closed"
    rows = RollCallRecipient.objects.filter(roll_call=roll_call)
    assert rows.filter(option=1).count() >= 2
    assert rows.filter(option=2).count() == 1
    assert rows.filter(option__isnull=True, withheld="").exists()
