"""The text side end to end through the local SMS gateway (issue 27, "Done when"): texts come in
through the real signed inbound webhook, replies and notices leave through the outbox to a
gateway on 127.0.0.1. EVAC is off by default; with it on, ``EVAC 3`` files a request with three
dependants; an assignment sends a neutral text in the person's language; ``ARRIVED`` moves the
journey; an evacuee silent past the expected arrival plus the margin raises a life-safety alert."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from salama.alerts.models import Alert, AlertKind
from salama.evacuation import jobs, services
from salama.evacuation.commands import parse_evac
from salama.evacuation.models import Request
from salama.lib import clock
from salama.messaging.dispatch import dispatch_outbox
from salama.messaging.models import InboundMessage
from tests.evacuation.helpers import movement, ready, request_for
from tests.messaging.outbox_helpers import T0
from tests.messaging.text_helpers import NUMBERS, LocalGateway, Roster, json_gateway

pytestmark = pytest.mark.django_db
NEUTRAL = {"ar": "يرجى التواصل مع مسؤولك اليوم.", "en": "Please contact your lead today."}
FORBIDDEN = ("evac", "اخلا", "إخلاء", "convoy", "قافلة", "mill", ":")


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(T0) as traveller:
        yield traveller


@pytest.fixture
def gateway(roster: Roster, local_gateway: LocalGateway) -> Any:
    return json_gateway(roster.org, local_gateway.url)


def turn_on(roster: Roster) -> None:
    roster.org.settings = {**roster.org.settings, "commands": ["evacuation_request"]}
    roster.org.save()


def inbound(gateway: Any, sender: str, text: str) -> None:
    url = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    body = json.dumps(
        {"id": f"in-{clock.now().timestamp()}-{text}", "from": sender, "text": text}
    ).encode()
    stamp = int(clock.now().timestamp())
    mac = hmac.new(b"hook-secret-1", f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    signed = {"HTTP_X_SALAMA_TIMESTAMP": str(stamp), "HTTP_X_SALAMA_SIGNATURE": mac}
    answer = Client().post(url, data=body, content_type="application/json", **signed)
    assert answer.status_code == 200


def sent_to(local_gateway: LocalGateway, who: str) -> list[str]:
    dispatch_outbox()
    return [t["text"] for t in local_gateway.texts if t["to"] == NUMBERS[who]]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("EVAC 3", (3, "")),
        ("evac", (0, "")),
        ("اخلاء ٣", (3, "")),
        ("إخلاء 2", (2, "")),
        ("EVAC 3 now", (None, "extra")),
        ("EVAC three", (None, "not_number")),
        ("EVAC 99", (None, "too_many")),
        ("SAFE", None),
        ("evacuate 3", None),
    ],
)
def test_the_command_is_read_in_both_languages(body: str, expected: Any) -> None:
    assert parse_evac(body) == expected


def test_with_the_command_off_evac_is_not_understood_and_nothing_is_created(
    roster: Roster, gateway: Any, local_gateway: LocalGateway
) -> None:
    inbound(gateway, NUMBERS["k1"], "EVAC 3")
    assert not Request.objects.exists()
    row = InboundMessage.objects.get()
    assert row.action == "not_understood" and str(row.body) == "EVAC 3"


def test_evac_3_creates_a_request_with_three_dependants_and_a_neutral_reply(
    roster: Roster, gateway: Any, local_gateway: LocalGateway
) -> None:
    turn_on(roster)
    inbound(gateway, NUMBERS["k1"], "EVAC 3")
    request = Request.objects.get()
    assert request.person == roster.k1 and request.dependants == 3 and request.channel == "sms"
    assert request.inbound_id == InboundMessage.objects.get().pk
    (reply,) = sent_to(local_gateway, "k1")
    assert "3" in reply and "مسؤولك" in reply  # Arabic: K1's language
    assert not any(word in reply.lower() for word in ("evac", "اخلا"))


def test_salama_text_json_reports_the_action_and_the_dependants(roster: Roster) -> None:
    turn_on(roster)
    out = StringIO()
    call_command("text", "EVAC 3", "--as", "K1", "--org", roster.org.slug, "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["action"] == "evacuation_request" and result["dependants"] == 3


@pytest.mark.parametrize(
    ("body", "reason"),
    [("EVAC 3 tomorrow", "write only the number"), ("EVAC three", "write the number")],
)
def test_bad_forms_get_a_clear_reply_and_nothing_is_created(
    roster: Roster, gateway: Any, local_gateway: LocalGateway, body: str, reason: str
) -> None:
    turn_on(roster)
    inbound(gateway, NUMBERS["lead"], body)  # L1 reads English
    assert not Request.objects.exists()
    row = InboundMessage.objects.get()
    assert row.action == "evacuation_refused" and str(row.body) == body  # the raw text kept
    (reply,) = sent_to(local_gateway, "lead")
    assert reply.startswith("Nothing changed:") and reason in reply


def test_a_second_evac_is_refused_while_one_is_open(
    roster: Roster, gateway: Any, local_gateway: LocalGateway
) -> None:
    turn_on(roster)
    inbound(gateway, NUMBERS["k1"], "EVAC 1")
    inbound(gateway, NUMBERS["k1"], "EVAC 2")
    assert Request.objects.get().dependants == 1
    assert InboundMessage.objects.order_by("pk").last().action == "evacuation_refused"


def test_assignment_arrival_and_silence_end_to_end(
    roster: Roster,
    gateway: Any,
    local_gateway: LocalGateway,
    _clock: Any,
    by: Any,
    crossing: Any,
) -> None:
    turn_on(roster)
    inbound(gateway, NUMBERS["k1"], "EVAC 2")
    k1 = ready(Request.objects.get(person=roster.k1), by, [crossing])
    k3 = ready(request_for(roster.k3), by, [crossing])
    lead = ready(request_for(roster.lead), by, [crossing])
    mov = movement(roster.org, by, vehicles=((10, 0),))
    dispatch_outbox()
    local_gateway.texts.clear()
    for row in (k1, k3, lead):
        services.assign(request=row, movement=mov, by=by)
    assert sent_to(local_gateway, "k1") == [NEUTRAL["ar"]]
    assert sent_to(local_gateway, "lead") == [NEUTRAL["en"]]
    for text in (t["text"] for t in local_gateway.texts):
        assert not any(word in text.lower() for word in FORBIDDEN)
    for row in (k1, k3, lead):
        services.move_evacuee(request=row, to="assembled", by=by)
    for to in ("notified", "confirmed", "under_way"):
        services.change_status(movement=mov, to=to, by=by)
    inbound(gateway, NUMBERS["k1"], "وصلت")
    k1.refresh_from_db()
    assert k1.journey == "arrived" and k1.outcome == "evacuated"
    inbound(gateway, NUMBERS["lead"], "ARRIVED")
    lead.refresh_from_db()
    assert lead.journey == "arrived"
    _clock.move_to(mov.expected_arrival_at + timedelta(minutes=mov.margin_minutes + 1))
    assert jobs.watch_movements()
    alert = Alert.objects.get(kind=AlertKind.EVACUEE_SILENT)
    assert alert.person == roster.k3 and alert.severity == "life_safety"
    k3.refresh_from_db()
    assert k3.journey == "missing"
    assert sent_to(local_gateway, "k3")[-1] == NEUTRAL["ar"]  # nothing to K3 in transit


def test_a_safe_answer_to_the_arrival_roll_call_is_an_arrival(
    roster: Roster, gateway: Any, by: Any, crossing: Any, _clock: Any
) -> None:
    k1 = ready(request_for(roster.k1), by, [crossing])
    k3 = ready(request_for(roster.k3), by, [crossing])
    mov = movement(roster.org, by)
    for row in (k1, k3):
        services.assign(request=row, movement=mov, by=by)
        services.move_evacuee(request=row, to="assembled", by=by)
    for to in ("notified", "confirmed", "under_way"):
        services.change_status(movement=mov, to=to, by=by)
    services.open_arrival_roll_call(movement=mov, by=by)
    dispatch_outbox()  # the question reaches the phones before the answers count
    _clock.shift(timedelta(minutes=2))
    inbound(gateway, NUMBERS["k1"], "1")
    assert InboundMessage.objects.order_by("pk").last().action == "roll_call_answer"
    k1.refresh_from_db()
    k3.refresh_from_db()
    assert k1.journey == "arrived" and k3.journey == "departed"
