"""The stock SMSSync app against a live server: a recorded exchange (smssync_exchange.json,
written from the app's developer documentation) replayed over real HTTP on 127.0.0.1, form and
JSON bodies, the task=send poll, task=sent and task=result; and what Salama cannot store is
answered with an error status (the app keeps the text and retries), never 200."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from salama.lib import clock
from salama.messaging import phones
from salama.messaging.channels import android
from salama.messaging.models import AndroidPhone, Delivery, DeliveryState, InboundMessage
from salama.safety.models import CheckIn
from tests.messaging.test_android import _people, _use_phones

EXCHANGE = json.loads((Path(__file__).parent / "smssync_exchange.json").read_text())


def _call(base: str, key: str, request: dict[str, Any], bound: dict[str, Any]) -> tuple[int, Any]:
    """One request of the exchange as the app makes it (urllib, a connection of its own)."""
    url = f"{base}/messaging/android/{key}/smssync"
    if request.get("query"):
        url += "?" + request["query"]
    data, headers = None, {}
    if "form" in request:
        form = _fill(request["form"], bound)
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif "json" in request:
        data = json.dumps(_fill(request["json"], bound)).encode()
        headers["Content-Type"] = "application/json; charset=utf-8"
    sent = urllib.request.Request(url, data=data, headers=headers, method=request["method"])  # noqa: S310
    try:
        with urllib.request.urlopen(sent, timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def _fill(value: Any, bound: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return bound[value]
    if isinstance(value, dict):
        return {k: _fill(v, bound) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, bound) for v in value]
    return value


def _match(expected: Any, got: Any, bound: dict[str, Any], where: str) -> None:
    if isinstance(expected, str) and expected.startswith("$"):
        if expected == "$any":
            return
        if expected in bound:
            assert got == bound[expected], f"{where}: {expected} was {bound[expected]!r}"
        else:
            assert isinstance(got, str) and got, f"{where}: {expected} is empty"
            bound[expected] = got
        return
    if isinstance(expected, dict):
        assert isinstance(got, dict), f"{where}: {got!r}"
        for key, value in expected.items():
            assert key in got, f"{where}: no {key!r} in {got!r}"
            _match(value, got[key], bound, f"{where}.{key}")
        return
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{where}: {got!r}"
        for index, (value, item) in enumerate(zip(expected, got, strict=True)):
            _match(value, item, bound, f"{where}[{index}]")
        return
    assert got == expected and type(got) is type(expected), f"{where}: {got!r} != {expected!r}"


def _smssync_phone(org: Any) -> AndroidPhone:
    phone, _secret = phones.add_phone(org=org, label="Ward 7", per_minute=20)
    AndroidPhone.objects.filter(pk=phone.pk).update(
        secret_hash=android.hash_secret(EXCHANGE["secret"])
    )
    return phone


def test_the_recorded_smssync_exchange_runs_against_a_live_server(
    live_server: Any, live_world: Any
) -> None:
    org = live_world.org
    _use_phones(org)
    (person,) = _people(org, 1, "", "W")
    number = str(person.contact_points.get().value)
    phone = _smssync_phone(org)
    bound: dict[str, Any] = {
        "$number": number,
        "$sent_ms": str(int(clock.now().timestamp() * 1000) - 20_000),
    }
    for step in EXCHANGE["steps"]:
        status, answer = _call(live_server.url, phone.key, step["request"], bound)
        assert status == step["response"]["status"], (step["name"], status, answer)
        _match(step["response"]["json"], answer, bound, step["name"])
    # The texts were stored once each, with the SMSC's time, and the first made a check-in.
    stored = InboundMessage.objects.filter(org=org, channel="android")
    assert stored.count() == 2
    assert stored.filter(sent_at__isnull=False).count() == 2
    assert CheckIn.objects.filter(person=person, status="SAFE").count() == 1
    # The replies the phone was handed went to the sender, and its reports were recorded.
    delivered = Delivery.objects.get(our_ref=bound["$uuid1"])
    assert delivered.state == DeliveryState.DELIVERED and delivered.handoffs == 1
    failed = Delivery.objects.get(our_ref=bound["$uuid2"])
    assert failed.state == DeliveryState.DEAD and failed.last_error == "android failed code 1"


def _form(client: Client, phone: AndroidPhone, form: dict[str, str], query: str = "") -> Any:
    path = f"/messaging/android/{phone.key}/smssync" + (f"?{query}" if query else "")
    return client.post(path, data=form)


@pytest.mark.django_db
def test_a_form_text_salama_cannot_store_is_answered_with_an_error_so_the_phone_retries(
    world: Any,
) -> None:
    phone = _smssync_phone(world.org)
    client = Client()
    secret = EXCHANGE["secret"]
    # No sender: nothing can be stored; the app must keep the text and try again.
    missing = _form(client, phone, {"secret": secret, "message": "safe", "message_id": "m-1"})
    assert missing.status_code == 400
    assert missing.json()["payload"]["success"] is False
    # The bearer token with a form body (the old answer was 200 with nothing stored).
    bearer = client.post(
        f"/messaging/android/{phone.key}/inbound",
        data={"from": "+963944000001", "message": "safe", "message_id": "m-2"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert bearer.status_code == 200 and bearer.json()["payload"]["success"] is True
    assert InboundMessage.objects.filter(gateway_ref=f"{phone.pk}:m-2").count() == 1
    # A body with no text in it at all is not a success either.
    empty = client.post(
        f"/messaging/android/{phone.key}/inbound",
        data=b"not a text",
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert empty.status_code == 400


@pytest.mark.django_db
def test_a_text_that_fails_to_store_is_answered_503(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salama.messaging import inbound

    phone = _smssync_phone(world.org)

    def broken(**_kw: Any) -> Any:
        raise inbound.keyring.KeyUnavailable("no key")

    monkeypatch.setattr(inbound, "receive", broken)
    answer = _form(Client(), phone, {"secret": EXCHANGE["secret"], "from": "+963944000002",
                                     "message": "safe", "message_id": "m-3"})  # fmt: skip
    assert answer.status_code == 503
    assert answer.json()["payload"] == {"success": False, "error": "not stored"}


@pytest.mark.django_db
def test_smssync_secrets_are_checked_like_the_bearer_token(world: Any) -> None:
    phone = _smssync_phone(world.org)
    client = Client()
    wrong = {"secret": "guess", "from": "+963944000003", "message": "safe", "message_id": "m-4"}
    assert _form(client, phone, wrong).status_code == 403
    assert (
        client.get(f"/messaging/android/{phone.key}/smssync?task=send&secret=guess").status_code
        == 403
    )
    assert client.get(f"/messaging/android/{phone.key}/smssync?task=send").status_code == 403
    assert client.get(f"/messaging/android/{phone.key}/smssync?task=result").status_code == 403
    # task=sent without a secret (the app sends none) only echoes references handed to this
    # phone; another phone's, or made-up ones, are not confirmed.
    _use_phones(world.org)
    (person,) = _people(world.org, 1, "", "V")
    from salama.messaging.outbox import queue_message

    queue_message(org=world.org, contact_point=person.contact_points.get(), template="reminder",
                  context={}, priority=1, reason="test")  # fmt: skip
    other, other_secret = phones.add_phone(org=world.org, label="Other")
    taken = client.get(f"/messaging/android/{other.key}/smssync?task=send&secret={other_secret}")
    (ref,) = [m["uuid"] for m in taken.json()["payload"]["messages"]]
    confirm = client.post(f"/messaging/android/{phone.key}/smssync?task=sent",
                          data=json.dumps({"queued_messages": [ref, "made-up"]}),
                          content_type="application/json")  # fmt: skip
    assert confirm.status_code == 200 and confirm.json() == {"message_uuids": []}
    mine = client.post(f"/messaging/android/{other.key}/smssync?task=sent",
                       data=json.dumps({"queued_messages": [ref, "made-up"]}),
                       content_type="application/json")  # fmt: skip
    assert mine.json() == {"message_uuids": [ref]}
    revoked = phones.revoke_phone(phone=other)
    assert revoked
    gone = client.post(f"/messaging/android/{other.key}/smssync?task=sent",
                       data=json.dumps({"queued_messages": [ref]}),
                       content_type="application/json")  # fmt: skip
    assert gone.status_code == 403
