"""The SMS gateways against a real local HTTP server on 127.0.0.1 (issue 7 item 1): sending,
failures and retries, signed webhooks (inbound and delivery reports), refusals."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from salama.alerts.models import Alert, AlertKind
from salama.lib import clock
from salama.messaging import channels
from salama.messaging.models import Delivery, InboundMessage, Priority, RejectedWebhook
from salama.messaging.outbox import dispatch_outbox, queue_message, retry_dead
from salama.safety.models import CheckIn
from salama.safety.services import make_decision
from tests.messaging import text_helpers
from tests.messaging.outbox_helpers import T0
from tests.messaging.text_helpers import (
    NUMBERS,
    LocalGateway,
    Roster,
    json_gateway,
    twilio_gateway,
)

roster = text_helpers.roster
local_gateway = text_helpers.local_gateway
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(T0) as traveller:
        yield traveller


def sign_json(secret: str, body: bytes, stamp: int | None = None) -> dict[str, str]:
    stamp = int(clock.now().timestamp()) if stamp is None else stamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_SALAMA_TIMESTAMP": str(stamp), "HTTP_X_SALAMA_SIGNATURE": mac}


def post_json(gateway: Any, hook: str, payload: Any, **headers: str) -> Any:
    url = reverse(f"messaging:{hook}", kwargs={"gateway_key": gateway.key})
    body = json.dumps(payload).encode()
    signed = headers or sign_json("hook-secret-1", body)
    return Client().post(url, data=body, content_type="application/json", **signed)


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    # Written from the public description, separately from salama.messaging.channels.twilio.
    data = url
    for key in sorted(params):
        data += key + params[key]
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def post_twilio(gateway: Any, hook: str, params: dict[str, str], query: str = "", **kw: Any) -> Any:
    path = reverse(f"messaging:{hook}", kwargs={"gateway_key": gateway.key}) + query
    signature = kw.get("signature") or twilio_signature(
        "twilio-token-1", "https://salama.example.org" + path, params
    )
    return Client().post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature)


def queue_to(roster: Roster, who: str = "k1") -> Any:
    message = queue_message(
        org=roster.org,
        contact_point=roster.points[who],
        template="reminder",
        context={},
        priority=Priority.NORMAL,
        reason="test",
    )
    assert message is not None
    return message.deliveries.get()


# --- Sending ----------------------------------------------------------------------------------


def test_json_gateway_sends_with_a_bearer_token(
    roster: Roster, local_gateway: LocalGateway
) -> None:
    json_gateway(roster.org, local_gateway.url)
    delivery = queue_to(roster)
    assert delivery.channel == "http_json"
    dispatch_outbox()
    (request,) = local_gateway.received
    assert request.path == "/send"
    assert request.headers["Authorization"] == "Bearer send-token-1"
    sent = request.json()
    assert sent["to"] == NUMBERS["k1"] and sent["reference"] == delivery.our_ref
    delivery.refresh_from_db()
    assert delivery.state == "sent" and delivery.provider_ref == "gw-1"


def test_json_gateway_deduplicates_on_our_reference(
    roster: Roster, local_gateway: LocalGateway
) -> None:
    json_gateway(roster.org, local_gateway.url)
    delivery = queue_to(roster)
    channel = channels.get("http_json")
    assert channel is not None
    first = channel.send(delivery, delivery.message, NUMBERS["k1"])
    second = channel.send(delivery, delivery.message, NUMBERS["k1"])  # a lease lapsed, say
    assert first == second and len(local_gateway.texts) == 1 and len(local_gateway.received) == 2


def test_gateway_500_retries_with_backoff_then_dead_then_manual_retry_sends(
    roster: Roster, local_gateway: LocalGateway, settings: Any, _clock: Any
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3
    json_gateway(roster.org, local_gateway.url)
    delivery = queue_to(roster)
    local_gateway.status = 500
    for _attempt in range(3):
        dispatch_outbox()
        delivery.refresh_from_db()
        _clock.shift(timedelta(hours=2))
    assert delivery.state == "dead" and delivery.last_error == "gateway 500"
    assert len(local_gateway.received) == 3 and not local_gateway.texts
    local_gateway.status = 200
    retry_dead(delivery)
    dispatch_outbox()
    delivery.refresh_from_db()
    assert delivery.state == "sent" and len(local_gateway.texts) == 1


def test_gateway_timeout_is_retried(
    roster: Roster, local_gateway: LocalGateway, settings: Any
) -> None:
    settings.OUTBOX_GATEWAY_TIMEOUT = 0.2
    json_gateway(roster.org, local_gateway.url)
    delivery = queue_to(roster)
    local_gateway.delay = 1.0
    dispatch_outbox()
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.last_error == "gateway timeout"
    assert delivery.next_attempt_at > clock.now()


def test_gateway_refusing_a_number_is_permanent(
    roster: Roster, local_gateway: LocalGateway
) -> None:
    json_gateway(roster.org, local_gateway.url)
    delivery = queue_to(roster)
    local_gateway.status = 400
    dispatch_outbox()
    delivery.refresh_from_db()
    assert delivery.state == "dead" and delivery.attempts == 1


def test_twilio_send_is_a_form_post_with_basic_auth(
    roster: Roster, local_gateway: LocalGateway
) -> None:
    gateway = twilio_gateway(roster.org, local_gateway.url)
    delivery = queue_to(roster)
    assert delivery.channel == "twilio"
    dispatch_outbox()
    (request,) = local_gateway.received
    assert request.path == "/2010-04-01/Accounts/AC123/Messages.json"
    expected = base64.b64encode(b"AC123:twilio-token-1").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    form = request.form()
    assert form["To"] == NUMBERS["k1"] and form["From"] == "+15550001"
    assert form["StatusCallback"].startswith("https://salama.example.org/")
    assert gateway.key in form["StatusCallback"] and NUMBERS["k1"] not in form["StatusCallback"]
    delivery.refresh_from_db()
    assert delivery.state == "sent" and delivery.provider_ref.startswith("SM")


# --- Webhooks ---------------------------------------------------------------------------------


def test_signed_json_inbound_is_stored_and_handled_with_the_smsc_time(
    roster: Roster, local_gateway: LocalGateway
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    smsc = (T0 - timedelta(minutes=3)).isoformat()
    payload = {"id": "in-1", "from": NUMBERS["k1"], "text": "آمن", "sent_at": smsc}
    assert post_json(gateway, "hook_inbound", payload).status_code == 200
    assert post_json(gateway, "hook_inbound", payload).status_code == 200  # repeated id
    assert InboundMessage.objects.count() == 1
    checkin = CheckIn.objects.get()
    assert checkin.person == roster.k1 and checkin.device_at == T0 - timedelta(minutes=3)


@pytest.mark.parametrize("problem", ["unsigned", "bad_signature", "stale"])
def test_bad_json_webhooks_get_403_and_are_recorded_without_the_body(
    roster: Roster, local_gateway: LocalGateway, problem: str
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    payload = {"id": "in-2", "from": NUMBERS["k1"], "text": "safe"}
    body = json.dumps(payload).encode()
    headers = {
        "unsigned": {"HTTP_X_OTHER": "1"},
        "bad_signature": sign_json("not-the-secret", body),
        "stale": sign_json("hook-secret-1", body, int(clock.now().timestamp()) - 301),
    }[problem]
    assert post_json(gateway, "hook_inbound", payload, **headers).status_code == 403
    rejected = RejectedWebhook.objects.get()
    assert rejected.reason == problem and rejected.org_id == roster.org.pk
    assert rejected.body_sha256 == hashlib.sha256(body).hexdigest()
    assert not InboundMessage.objects.exists() and not CheckIn.objects.exists()


def test_unknown_gateway_key_is_refused(db: None) -> None:
    url = reverse("messaging:hook_inbound", kwargs={"gateway_key": "nope"})
    assert Client().post(url, data=b"{}", content_type="application/json").status_code == 403
    assert RejectedWebhook.objects.get().reason == "unknown_gateway"


def test_json_status_callback_marks_delivered_and_always_answers_200(
    roster: Roster, local_gateway: LocalGateway
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    delivery = queue_to(roster)
    dispatch_outbox()
    report = {"reference": delivery.our_ref, "id": "gw-1", "status": "delivered"}
    assert post_json(gateway, "hook_status", report).status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    nonsense = {"reference": "not-ours", "status": "delivered"}
    assert post_json(gateway, "hook_status", nonsense).status_code == 200


def test_twilio_inbound_and_status_are_verified_forms(
    roster: Roster, local_gateway: LocalGateway, _clock: Any
) -> None:
    gateway = twilio_gateway(roster.org, local_gateway.url)
    params = {"MessageSid": "SM1", "From": NUMBERS["k3"], "To": "+15550001", "Body": "تمام"}
    answer = post_twilio(gateway, "hook_inbound", params)
    assert answer.status_code == 200 and b"<Response>" in answer.content
    assert CheckIn.objects.get().person == roster.k3
    forged = post_twilio(gateway, "hook_inbound", {**params, "MessageSid": "SM2"},
                         signature="AAAA")  # fmt: skip
    assert forged.status_code == 403 and RejectedWebhook.objects.get().reason == "bad_signature"
    delivery = queue_to(roster, "k3")
    for _second in range(3):  # one text a second on this channel: the reply goes first
        dispatch_outbox()
        _clock.shift(timedelta(seconds=2))
    delivery.refresh_from_db()
    status = {"MessageSid": delivery.provider_ref, "MessageStatus": "delivered"}
    query = f"?ref={delivery.our_ref}"
    assert post_twilio(gateway, "hook_status", status, query).status_code == 200
    delivery.refresh_from_db()
    assert delivery.state == "delivered"


# --- End to end through the local gateway -----------------------------------------------------


def test_end_to_end_safe_in_arabic_from_staff_is_on_the_board(
    roster: Roster, local_gateway: LocalGateway, clients: dict[str, Any]
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    payload = {"id": "e2e-1", "from": NUMBERS["k1"], "text": "آمن"}
    assert post_json(gateway, "hook_inbound", payload).status_code == 200
    roster.k1.refresh_from_db()
    assert roster.k1.state == "SAFE"
    board = clients["coordinator"].get(reverse("safety:board"))
    assert board.status_code == 200 and "K1" in board.content.decode()
    dispatch_outbox()
    (reply,) = local_gateway.texts
    assert reply["to"] == NUMBERS["k1"] and "آمن" not in reply["text"]


def test_end_to_end_help_from_an_unknown_number(
    roster: Roster, local_gateway: LocalGateway
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    neutral = {"id": "e2e-0", "from": NUMBERS["unknown"], "text": "hello"}
    post_json(gateway, "hook_inbound", neutral)
    for n, body in enumerate(["HELP", "help please"]):
        payload = {"id": f"e2e-h{n}", "from": NUMBERS["unknown"], "text": body}
        assert post_json(gateway, "hook_inbound", payload).status_code == 200
    assert Alert.objects.filter(kind=AlertKind.UNKNOWN_SENDER_HELP).count() == 1
    dispatch_outbox()
    to_unknown = [t["text"] for t in local_gateway.texts if t["to"] == NUMBERS["unknown"]]
    assert len(to_unknown) == 3 and len(set(to_unknown)) == 1


def test_end_to_end_safe_all_from_a_detained_leads_number_changes_nothing(
    roster: Roster, local_gateway: LocalGateway
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    make_decision(
        person=roster.lead,
        kind="DETAINED",
        certainty="confirmed",
        made_by=None,
        source="a colleague",
        reason="not seen",
    )
    payload = {"id": "e2e-d", "from": NUMBERS["lead"], "text": "SAFE ALL"}
    assert post_json(gateway, "hook_inbound", payload).status_code == 200
    assert not CheckIn.objects.filter(person__in=[roster.k1, roster.k2, roster.k3]).exists()
    dispatch_outbox()
    assert not [t for t in local_gateway.texts if t["to"] == NUMBERS["lead"]]
    assert not Delivery.objects.filter(message__contact_point=roster.points["lead"]).exists()


# --- Twilio's signatures as its own validator computes them -----------------------------------


def _signed_by_twilio(gateway: Any, url: str, form: list[tuple[str, str]]) -> Any:
    """POST `form` (in this order, names repeated) to the inbound hook, signed over `url` by the
    twilio package's RequestValidator (a test-only dependency; Salama has no SDK)."""
    from urllib.parse import urlencode

    from django.http import QueryDict
    from twilio.request_validator import RequestValidator

    params = QueryDict(mutable=True)
    for name, value in form:
        params.appendlist(name, value)
    signature = RequestValidator("twilio-token-1").compute_signature(url, params)
    path = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    body = urlencode(form)  # in this order, repeats kept
    return Client().post(path, data=body, content_type="application/x-www-form-urlencoded",
                         HTTP_X_TWILIO_SIGNATURE=signature)  # fmt: skip


def test_twilio_signatures_over_repeated_parameters_in_another_order_are_accepted(
    roster: Roster, local_gateway: LocalGateway, _clock: Any
) -> None:
    gateway = twilio_gateway(roster.org, local_gateway.url)
    path = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    form = [("MessageSid", "SM7"), ("From", NUMBERS["k3"]), ("Body", "safe"),
            ("MediaUrl", "https://m.example/z"), ("MediaUrl", "https://m.example/a")]  # fmt: skip
    answer = _signed_by_twilio(gateway, "https://salama.example.org" + path, form)
    assert answer.status_code == 200, RejectedWebhook.objects.values_list("reason", flat=True)
    assert CheckIn.objects.get().person == roster.k3


@pytest.mark.parametrize(
    ("configured", "signed_host"),
    [
        ("https://salama.example.org", "https://salama.example.org:443"),
        ("https://salama.example.org:443", "https://salama.example.org"),
    ],
)
def test_twilio_signatures_with_or_without_an_explicit_443_are_accepted(
    roster: Roster, local_gateway: LocalGateway, _clock: Any, configured: str, signed_host: str
) -> None:
    gateway = twilio_gateway(roster.org, local_gateway.url)
    type(gateway).objects.filter(pk=gateway.pk).update(public_url=configured)
    path = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    form = [("MessageSid", "SM8"), ("From", NUMBERS["k3"]), ("Body", "1")]
    answer = _signed_by_twilio(gateway, signed_host + path, form)
    assert answer.status_code == 200, RejectedWebhook.objects.values_list("reason", flat=True)
    # Another host, or the right host on another port, is still refused.
    for wrong in ("https://elsewhere.example.org", "https://salama.example.org:8443"):
        form[0] = ("MessageSid", f"SM-{wrong[-4:]}")
        assert _signed_by_twilio(gateway, wrong + path, form).status_code == 403
