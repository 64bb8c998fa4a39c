"""Fixtures for the text channel tests: a roster with numbers of every kind, a local gateway
server on 127.0.0.1 that speaks both protocols and records what it received, and signing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from salama.accounts.models import Membership
from salama.messaging.models import Gateway
from salama.messaging.services import save_gateway, set_personal_code
from salama.people.models import Area, ContactPoint, Person, Team, TeamLead
from salama.people.services import add_contact_point, save_area

NUMBERS = {
    "k1": "+963944100001",
    "lead": "+963944100002",
    "k3": "+963944100003",
    "ward": "+963944100009",
    "coordinator": "+963944100010",
    "unknown": "+963944100099",
}
K2_CODE = "731946"  # K2's personal code, for NEW K2 <code>


@dataclass
class Roster:
    org: Any
    team: Team
    k1: Person  # staff, own number, language ar
    lead: Person  # leads the team, own number, linked to the "lead" persona's membership
    k2: Person  # team member, only on the ward phone
    k3: Person  # team member, own number
    sukkari: Area
    points: dict[str, ContactPoint] = field(default_factory=dict)


def make_roster(world: Any) -> Roster:
    org = world.org
    team = Team.objects.create(org=org, name="Team A")
    lead_membership = Membership.objects.get(user=world.users["lead"], org=org)
    k1 = Person.objects.create(org=org, codename="K1", role="nurse", language="ar", team=team)
    lead = Person.objects.create(
        org=org, codename="L1", role="doctor", language="en", team=team, membership=lead_membership
    )
    k2 = Person.objects.create(org=org, codename="K2", role="nurse", language="en", team=team)
    k3 = Person.objects.create(org=org, codename="K3", role="nurse", language="ar", team=team)
    TeamLead.objects.create(org=org, team=team, person=lead)
    sukkari = save_area(org=org, name_en="Al-Sukkari", name_ar="السكري", aliases="Sukkari")
    save_area(org=org, name_en="Al-Shaar", name_ar="الشعار", aliases="Shaar")
    coordinator = Membership.objects.get(user=world.users["coordinator"], org=org)
    roster = Roster(org=org, team=team, k1=k1, lead=lead, k2=k2, k3=k3, sukkari=sukkari)
    roster.points = {
        "k1": add_contact_point(org=org, kind="sms", value=NUMBERS["k1"], persons=[k1]),
        "lead": add_contact_point(org=org, kind="sms", value=NUMBERS["lead"], persons=[lead]),
        "k3": add_contact_point(org=org, kind="sms", value=NUMBERS["k3"], persons=[k3]),
        "ward": add_contact_point(
            org=org, kind="sms", value=NUMBERS["ward"], persons=[k2, k3], is_shared=True
        ),
        "coordinator": add_contact_point(
            org=org, kind="sms", value=NUMBERS["coordinator"], membership=coordinator
        ),
    }
    set_personal_code(person=k2, code=K2_CODE)
    return roster


@pytest.fixture
def roster(world: Any) -> Roster:
    return make_roster(world)


# --- The local gateway ------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class LocalGateway:
    """A gateway on 127.0.0.1: answers sends in the JSON or the Twilio-style protocol, or with
    a chosen failure (``status`` 500, ``delay`` beyond the client's timeout); records every
    request and de-duplicates JSON sends on our reference."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.delay = 0.0
        self.by_reference: dict[str, str] = {}
        self.texts: list[dict[str, Any]] = []  # what would reach phones (after de-duplication)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                gateway.received.append(Received(self.path, dict(self.headers), body))
                if gateway.delay:
                    time.sleep(gateway.delay)
                if gateway.status != 200:
                    self.send_response(gateway.status)
                    self.end_headers()
                    self.wfile.write(b'{"error": "busy"}')
                    return
                if "/2010-04-01/Accounts/" in self.path:
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    sid = f"SM{len(gateway.texts):032d}"
                    gateway.texts.append({"to": form.get("To"), "text": form.get("Body")})
                    answer = {"sid": sid, "status": "queued"}
                    code = 201
                else:
                    data = json.loads(body)
                    ref = data["reference"]
                    if ref not in gateway.by_reference:
                        gateway.by_reference[ref] = f"gw-{len(gateway.by_reference) + 1}"
                        gateway.texts.append({"to": data["to"], "text": data["text"]})
                    answer = {"id": gateway.by_reference[ref]}
                    code = 200
                payload = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_gateway() -> Iterator[LocalGateway]:
    server = LocalGateway()
    yield server
    server.close()


def json_gateway(org: Any, url: str, *, use_for_sms: bool = True) -> Gateway:
    return save_gateway(
        org=org,
        kind="http_json",
        base_url=f"{url}/send",
        public_url="",
        credentials={"send_token": "send-token-1", "webhook_secret": "hook-secret-1"},
        is_active=True,
        use_for_sms=use_for_sms,
    )


def twilio_gateway(org: Any, url: str, *, use_for_sms: bool = True) -> Gateway:
    return save_gateway(
        org=org,
        kind="twilio",
        base_url=url,
        public_url="https://salama.example.org",
        credentials={"account_sid": "AC123", "auth_token": "twilio-token-1", "sender": "+15550001"},
        is_active=True,
        use_for_sms=use_for_sms,
    )
