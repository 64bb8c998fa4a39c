"""One signed inbound text through the JSON gateway's webhook stays a fixed, small number of
statements (query counts, never timings), as the API check-in does (tests/safety/
test_checkin_queries.py): stored and handled in one transaction, no re-read of the row just
stored, no look-up of the replies it queued, the sender's persons read once."""

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from salama.alerts.models import Alert, AlertKind
from salama.lib import clock
from salama.messaging.inbound import receive
from salama.messaging.models import AskedBack, InboundMessage, Message
from salama.safety.models import CheckIn
from salama.safety.services import make_decision
from tests.messaging import text_helpers
from tests.messaging.test_gateways import sign_json
from tests.messaging.text_helpers import NUMBERS, Roster, json_gateway

roster = text_helpers.roster
pytestmark = pytest.mark.django_db

# The gateway with its organisation; BEGIN, the text's INSERT, SAVEPOINT; the sender's
# last_inbound_at, the contact point, its persons; the person locked, the check-in, the
# person's UPDATE (it decides heightened mode itself: no look-up of its own); the reply's
# wording, SAVEPOINT, its message and delivery, RELEASE; the duress word; the row marked
# handled, RELEASE, COMMIT (was 30, then 20).
SAFE_TEXT = 17


def _poster(roster: Roster) -> Any:
    gateway = json_gateway(roster.org, "http://127.0.0.1:9")
    url = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    client = Client()

    def post(ref: str, sender: str = NUMBERS["k1"], text: str = "SAFE") -> Any:
        body = json.dumps({"id": ref, "from": sender, "text": text}).encode()
        signed = sign_json("hook-secret-1", body)
        return client.post(url, data=body, content_type="application/json", **signed)

    return post


def test_a_signed_safe_text_is_nineteen_statements(roster: Roster) -> None:
    post = _poster(roster)
    assert post("warm").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert post("one").status_code == 200
    row = InboundMessage.objects.get(gateway_ref="one")
    assert row.state == "handled" and row.action == "checkin" and row.attempts == 1
    assert CheckIn.objects.filter(person=roster.k1).count() == 2
    assert Message.objects.filter(contact_point=roster.points["k1"]).count() == 2
    assert len(queries) <= SAFE_TEXT, "\n".join(q["sql"][:120] for q in queries.captured_queries)


def test_a_repeated_gateway_id_is_a_few_statements(roster: Roster) -> None:
    post = _poster(roster)
    assert post("dup").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert post("dup").status_code == 200
    assert InboundMessage.objects.filter(gateway_ref="dup").count() == 1
    assert CheckIn.objects.count() == 1
    # The gateway, BEGIN, the refused INSERT, ROLLBACK (here a savepoint's two), the stored row.
    assert len(queries) <= 6


def test_a_clear_text_after_an_unclear_one_forgets_the_ask_back(roster: Roster) -> None:
    # The ask-back is deleted only when there is one: the statement it saves must not lose it.
    post = _poster(roster)
    post("u1", text="xyzzy")
    assert AskedBack.objects.filter(contact_point=roster.points["k1"]).exists()
    post("u2", text="SAFE")
    assert not AskedBack.objects.filter(contact_point=roster.points["k1"]).exists()
    post("u3", text="xyzzy")  # asked back again, not sent on to a coordinator
    assert InboundMessage.objects.get(gateway_ref="u3").reason != "to_coordinator"


def test_a_safe_under_a_decision_still_reports_its_alert(roster: Roster) -> None:
    # The alert look-up after a check-in is skipped only when no alert can be on it: a SAFE
    # from a person under a decision that leaves the phone theirs (EVACUATED) raises one.
    make_decision(
        person=roster.k1,
        kind="EVACUATED",
        certainty="confirmed",
        made_by=None,
        source="a colleague",
        reason="not seen",
    )
    with time_machine.travel(clock.now() + timedelta(minutes=5), tick=False):
        _row, result = receive(
            org=roster.org, channel="http_json", sender=NUMBERS["k1"], body="SAFE"
        )
    assert result is not None and result["action"] == "checkin" and result["alert"]
    alert = Alert.objects.get(number=result["alert"])
    assert alert.kind == AlertKind.CONTACT_SINCE_DECISION
