"""A gateway's signed webhook takes the short middleware chain of token API requests
(salama.lib.middleware.api_dispatch): the same security headers, no session, no page checks; its
signature is still what lets it in."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from salama.messaging.models import InboundMessage
from tests.messaging import text_helpers
from tests.messaging.test_gateways import sign_json
from tests.messaging.text_helpers import NUMBERS, Roster, json_gateway

roster = text_helpers.roster
pytestmark = pytest.mark.django_db

SECURITY = [
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
    "Permissions-Policy",
    "Cross-Origin-Resource-Policy",
    "Cache-Control",
    "Content-Security-Policy",
]


def test_a_signed_text_skips_the_page_middleware_and_keeps_the_headers(roster: Roster) -> None:
    gateway = json_gateway(roster.org, "http://127.0.0.1:9")
    url = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    body = json.dumps({"id": "chain-1", "from": NUMBERS["k1"], "text": "SAFE"}).encode()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url, data=body, content_type="application/json", **sign_json("hook-secret-1", body)
    )
    assert response.status_code == 200
    assert InboundMessage.objects.get(gateway_ref="chain-1").action == "checkin"
    assert all(response.get(name) for name in SECURITY), {n: response.get(n) for n in SECURITY}
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert not hasattr(response.wsgi_request, "session")  # no session middleware ran
    unsigned = client.post(url, data=body, content_type="application/json")
    assert unsigned.status_code == 403
    wrong = client.post(
        url, data=body, content_type="application/json", **sign_json("not-the-secret", body)
    )
    assert wrong.status_code == 403
