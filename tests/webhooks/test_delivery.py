"""Outbound webhooks against a real HTTP server on 127.0.0.1: a check-in and an alert are
queued by the hooks, posted signed like the gateways' webhooks to us, retried after a failure,
and dead after the last attempt; the bodies carry codenames and states, never names, numbers or
notes."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.test import Client

from salama.safety.tokens import create_token
from salama.webhooks import services
from salama.webhooks.models import WebhookDelivery

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


class Receiver:
    def __init__(self) -> None:
        self.answers: list[int] = []
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def verified(secret: str, request: dict[str, Any]) -> dict[str, Any]:
    headers = request["headers"]
    stamp = headers["X-Salama-Timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + request["body"], hashlib.sha256)
    assert headers["X-Salama-Signature"] == "sha256=" + expected.hexdigest()
    return json.loads(request["body"])  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_checkin_is_posted_signed_and_retried_until_delivered(
    world: Any, roster: Any, receiver: Receiver
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        _endpoint, secret = services.create_endpoint(
            org=world.org, url=receiver.url, events=["checkin.recorded"]
        )
        token = create_token(user=world.users["coordinator"], org=world.org, name="t")
        Client().post(
            "/api/checkins",
            json.dumps({"status": "SAFE", "codename": "K12", "note": "at the clinic"}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        receiver.answers = [503]
        assert services.deliver_due()
        row = WebhookDelivery.objects.get()
        assert row.state == "pending" and row.attempts == 1 and row.last_status == "503"
        assert not services.deliver_due()  # not due yet: backing off
        clock.shift(timedelta(seconds=31))
        assert services.deliver_due()
        row.refresh_from_db()
        assert row.state == "delivered" and row.attempts == 2
    first, second = receiver.received
    assert first["headers"]["X-Salama-Delivery"] == second["headers"]["X-Salama-Delivery"]
    body = verified(secret, second)
    assert body["event"] == "checkin.recorded"
    assert body["checkin"] == {"codename": "K12", "status": "SAFE"}
    text = second["body"].decode()
    secrets = [*roster.names.values(), *(n for ns in roster.numbers.values() for n in ns)]
    assert "clinic" not in text and not any(s in text for s in secrets)


@pytest.mark.django_db
def test_alert_events_follow_the_alert_and_a_failing_endpoint_ends_dead(
    world: Any, roster: Any, receiver: Receiver
) -> None:
    from salama.alerts.raising import new_alert

    with time_machine.travel(T0, tick=False) as clock:
        _endpoint, secret = services.create_endpoint(
            org=world.org, url=receiver.url, events=["alert.opened"]
        )
        world.org.refresh_from_db()  # as each request and job reads it
        alert = new_alert(org=world.org, kind="need_help", person=roster.persons["K12"])
        receiver.answers = [500] * services.MAX_ATTEMPTS
        for _attempt in range(services.MAX_ATTEMPTS):
            services.deliver_due()
            clock.shift(timedelta(hours=1))
        row = WebhookDelivery.objects.get()
        assert row.state == "dead" and row.attempts == services.MAX_ATTEMPTS
        assert not services.deliver_due()
    assert len(receiver.received) == services.MAX_ATTEMPTS
    body = verified(secret, receiver.received[0])
    assert body["alert"]["number"] == alert.number and body["alert"]["codename"] == "K12"


@pytest.mark.django_db
def test_endpoints_over_the_api_are_org_admins_and_show_the_secret_once(world: Any) -> None:
    def call(user: str, method: str, path: str, body: Any = None) -> Any:
        token = create_token(user=world.users[user], org=world.org, name="t")
        data = json.dumps(body) if body is not None else ""
        return Client().generic(method, path, data, content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip

    wanted = {"url": "https://example.org/hook", "events": ["rollcall.closed"]}
    assert call("coordinator", "POST", "/api/webhooks", wanted).status_code == 403
    created = call("org_admin", "POST", "/api/webhooks", wanted)
    assert created.status_code == 201 and len(created.json()["secret"]) > 30
    assert created["Location"] == "/api/webhooks"
    listed = call("org_admin", "GET", "/api/webhooks").json()
    assert [e["url"] for e in listed] == [wanted["url"]] and "secret" not in listed[0]
    bad = call("org_admin", "POST", "/api/webhooks", {**wanted, "events": ["nope"]})
    assert bad.status_code == 422 and bad.json()["detail"]
    gone = call("org_admin", "DELETE", f"/api/webhooks/{listed[0]['id']}")
    assert gone.status_code == 200 and call("org_admin", "GET", "/api/webhooks").json() == []
