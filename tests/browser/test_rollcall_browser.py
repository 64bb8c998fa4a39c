"""A roll call in real Chromium: a coordinator launches it from the composer (which shows the cost
before launch); the live page, loaded once, shows the estimate of the last send while texts wait,
then the answers that arrive through the local JSON gateway's signed webhook, without a reload."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from salama.messaging.models import Delivery
from salama.messaging.outbox import dispatch_outbox
from salama.people.models import Person
from salama.people.services import add_contact_point
from tests.conftest import log_in
from tests.messaging.text_helpers import LocalGateway, json_gateway

pytestmark = pytest.mark.browser
LIVE_WAIT = 15_000  # ms: the live part polls every 3 s


def _signed_inbound(base: str, key: str, payload: dict[str, Any]) -> int:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(b"hook-secret-1", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(  # noqa: S310
        f"{base}/messaging/hooks/{key}/inbound",
        data=body,
        headers={"Content-Type": "application/json", "X-Salama-Timestamp": stamp,
                 "X-Salama-Signature": mac},
        method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return int(answer.status)


def test_coordinator_launches_a_roll_call_and_sees_answers_arrive(
    page: Any, live_server: Any, live_world: Any
) -> None:
    org = live_world.org
    gateway_server = LocalGateway()
    try:
        gateway = json_gateway(org, gateway_server.url)
        numbers = []
        for i in range(3):
            person = Person.objects.create(org=org, codename=f"B{i}", role="nurse", language="en")
            numbers.append(f"+96394455{i:04d}")
            add_contact_point(org=org, kind="sms", value=numbers[-1], persons=[person])

        log_in(page, "coordinator")
        page.goto("/rollcalls/")
        page.check("#id_everyone")
        page.click("#rollcall-preview")
        expect(page.locator("#rollcall-cost")).to_contain_text("3")
        page.click("#rollcall-launch")
        page.wait_for_url("**/rollcalls/1/")
        expect(page.locator("#count-total")).to_have_text("3")
        expect(page.locator("#rollcall-last-send")).to_contain_text("at about")
        page.evaluate("window.__marker = 1")

        while dispatch_outbox():  # the worker hands the texts to the local gateway
            pass
        assert Delivery.objects.filter(handed_off_at__isnull=False).count() == 3
        assert len(gateway_server.texts) == 3
        sent_at = datetime.now(UTC).isoformat()
        for n, (number, word) in enumerate(zip(numbers[:2], ("1", "2"), strict=True)):
            status = _signed_inbound(live_server.url, gateway.key, {
                "id": f"in-{n}", "from": number, "text": word, "sent_at": sent_at})  # fmt: skip
            assert status == 200

        expect(page.locator("#count-heard")).to_have_text("2", timeout=LIVE_WAIT)
        expect(page.locator("#option-1")).to_have_text("1")
        expect(page.locator("#option-2")).to_have_text("1")
        expect(page.locator("#count-silent")).to_have_text("1")
        expect(page.locator("#rollcall-last-send")).to_contain_text("left the queue")
        assert page.evaluate("window.__marker") == 1  # no reload happened
    finally:
        gateway_server.close()
