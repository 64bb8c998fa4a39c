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
from salama.messaging import handler, texts
from salama.messaging.inbound import receive
from salama.messaging.models import AskedBack, InboundMessage, Message, MessageTemplate
from salama.safety.models import CheckIn
from salama.safety.services import make_decision
from tests.messaging import text_helpers
from tests.messaging.test_gateways import sign_json
from tests.messaging.text_helpers import NUMBERS, Roster, json_gateway

roster = text_helpers.roster
pytestmark = pytest.mark.django_db

# The gateway with its organisation (on PostgreSQL remembered by the process, no statement,
# and checked unchanged by the text's INSERT: tests/messaging/test_gateway_memory.py); BEGIN;
# the text's INSERT with the sender's last_inbound_at (one statement on PostgreSQL; no
# savepoint: a failure rolls everything back and stores the text again, failed); the contact
# point with its persons, their wording of the reply and their duress word's hash (one
# statement); the person locked (on PostgreSQL with the check-in's id taken); then, held and
# written together (salama.safety.checkins.HeldWrites; one statement on PostgreSQL, five
# elsewhere): the check-in, the person's UPDATE, which decides heightened mode itself, the
# reply's message with its delivery, the row marked handled; COMMIT (was 30, then 20, 17, 14,
# 10).
SAFE_TEXT = 6 if connection.vendor == "postgresql" else 12


def _poster(roster: Roster) -> Any:
    gateway = json_gateway(roster.org, "http://127.0.0.1:9")
    url = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    client = Client()

    def post(ref: str, sender: str = NUMBERS["k1"], text: str = "SAFE") -> Any:
        body = json.dumps({"id": ref, "from": sender, "text": text}).encode()
        signed = sign_json("hook-secret-1", body)
        return client.post(url, data=body, content_type="application/json", **signed)

    return post


def test_a_signed_safe_text_is_six_statements(roster: Roster) -> None:
    post = _poster(roster)
    assert post("warm").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert post("one").status_code == 200
    row = InboundMessage.objects.get(gateway_ref="one")
    assert row.state == "handled" and row.action == "checkin" and row.attempts == 1
    assert CheckIn.objects.filter(person=roster.k1).count() == 2
    replies = Message.objects.filter(contact_point=roster.points["k1"])
    assert replies.count() == 2
    assert all(m.deliveries.count() == 1 for m in replies)  # each queued with its delivery
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


def test_the_reply_takes_the_wording_read_with_the_person(roster: Roster) -> None:
    # The organisation's wording of the check-in reply comes with the sender's persons, in each
    # person's language: K1 writes Arabic, the lead English; the other language keeps its own.
    MessageTemplate.objects.create(org=roster.org, key="reply_ok", language="ar", body="وصل {time}")
    post = _poster(roster)
    post("w1", sender=NUMBERS["k1"])
    post("w2", sender=NUMBERS["lead"])
    k1_reply = Message.objects.filter(contact_point=roster.points["k1"]).latest("id")
    lead_reply = Message.objects.filter(contact_point=roster.points["lead"]).latest("id")
    assert str(k1_reply.body).startswith("وصل ")
    assert str(lead_reply.body) == texts.render(
        roster.org,
        "reply_ok",
        "en",
        {"time": InboundMessage.objects.get(gateway_ref="w2").received_at},
    )
    MessageTemplate.objects.filter(org=roster.org).delete()  # gone: the default again
    post("w3", sender=NUMBERS["k1"])
    again = Message.objects.filter(contact_point=roster.points["k1"]).latest("id")
    assert not str(again.body).startswith("وصل ")


def test_the_one_lookup_brings_every_person_of_a_shared_phone_and_a_login(roster: Roster) -> None:
    roster.points["ward"].refresh_from_db()
    point = handler._find_point(roster.org, roster.points["ward"].value_hash)
    assert point is not None and point.pk == roster.points["ward"].pk
    with CaptureQueriesContext(connection) as queries:
        assert [p.codename for p in handler.holders(point)] == ["K2", "K3"]
        assert [p.pk for p in point.persons.all()] == [roster.k2.pk, roster.k3.pk]
        assert point.membership is None and point.org is roster.org
        assert [p.org for p in point.persons.all()] == [roster.org, roster.org]
        assert point.was_asked_back is False  # type: ignore[attr-defined]
    assert len(queries) == 0
    # A filter on the persons still asks the database (the read ones are not a stand-in).
    assert list(point.persons.filter(codename="K3")) == [roster.k3]
    coordinator = handler._find_point(roster.org, roster.points["coordinator"].value_hash)
    assert coordinator is not None and list(coordinator.persons.all()) == []
    assert coordinator.membership is not None
    assert coordinator.membership.pk == roster.points["coordinator"].membership_id
    assert str(coordinator.value) == NUMBERS["coordinator"]  # decrypted as the ORM reads it
    assert handler._find_point(roster.org, "no-such-hash") is None


@pytest.mark.parametrize("stale", [False, True], ids=["fresh", "stale"])
def test_a_text_under_heightened_mode_closes_an_escalation_as_it_should(
    roster: Roster, stale: bool
) -> None:
    """The check-in's writes are held until the end of the text's handling, while alerts'
    checkin_recorded hook reads the person's overdue flag at once to decide whether the
    check-in closes the person's escalation: the flag must already be what the held UPDATE will
    write. Under heightened mode, a fresh SAFE from an overdue person clears the flag and
    closes the escalation; a stale one (timed before a deadline that heightened mode has
    already passed) leaves both."""
    from salama.alerts.models import Escalation
    from salama.people.models import Person
    from salama.safety.services import set_heightened

    hours = timedelta(hours=1)
    now = clock.now()
    Person.objects.filter(pk=roster.k1.pk).update(
        heard_at=now - 40 * hours, next_due_at=now - 15 * hours, is_overdue=True
    )
    set_heightened(org=roster.org)
    escalation = Escalation.objects.create(org=roster.org, person=roster.k1)
    gateway = json_gateway(roster.org, "http://127.0.0.1:9")
    url = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    text = {"id": "late", "from": NUMBERS["k1"], "text": "SAFE"}
    if stale:
        text["sent_at"] = (now - 10 * hours).isoformat()
    body = json.dumps(text).encode()
    signed = sign_json("hook-secret-1", body)
    response = Client().post(url, data=body, content_type="application/json", **signed)
    assert response.status_code == 200
    checkin = CheckIn.objects.get(person=roster.k1)
    person = Person.objects.get(pk=roster.k1.pk)
    escalation.refresh_from_db()
    if stale:
        assert person.is_overdue and escalation.closed_at is None
    else:
        assert not person.is_overdue
        assert escalation.closed_by_checkin_id == checkin.pk
