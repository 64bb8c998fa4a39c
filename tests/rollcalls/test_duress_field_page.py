"""Duress from the field page (issue 22 item 6): the person's duress word in the page's note
behaves as by text: the same answer and the same page as a normal SAFE, and a quiet duress alert
to the coordinators."""

import json
import re
from typing import Any

import pytest
import time_machine
from django.db import transaction

from salama.alerts.models import Alert, AlertKind
from salama.lib import checkinkey
from salama.rollcalls import duress
from tests.safety.conftest import T0, Team1

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def _scenario(staff: Any) -> list[Any]:
    body = {"key": "", "status": "SAFE", "note": "tamam", "device_at": T0.isoformat()}
    seen = []
    for _ in range(2):
        body["key"] = checkinkey.new_key()
        answer = staff.post("/safety/send/", json.dumps(body), content_type="application/json")
        seen.append((answer.status_code, answer.json()))
    form = staff.post("/safety/", {"status": "SAFE", "note": "Tamam"}, follow=True)
    page = re.sub(r'value="[^"]{40,}"', "", form.content.decode())  # CSRF tokens differ
    return [*seen, form.status_code, page]


def test_the_duress_word_in_the_page_note_looks_normal_and_alerts_quietly(
    clients: Any, world: Any
) -> None:
    team = Team1(world)
    staff = clients["staff"]
    with time_machine.travel(T0, tick=False):
        try:
            with transaction.atomic():
                normal = _scenario(staff)
                raise Rollback
        except Rollback:
            pass
        assert not Alert.objects.filter(kind=AlertKind.DURESS).exists()
        duress.agree_duress(person=team.staff, word="tamam", plan="Call the lawyer")
        coerced = _scenario(staff)
    assert coerced == normal
    assert normal[0][1]["result"] == "stored"
    alert = Alert.objects.get(kind=AlertKind.DURESS, person=team.staff)
    assert alert.quiet_to_sender and alert.severity == "life_safety"
    assert alert.checkin_id is not None
    assert duress.plan_for(alert) == ("Call the lawyer", False)
    duty = clients["coordinator"].get("/alerts/").content.decode()
    assert "K10" in duty  # on the coordinators' duty page
