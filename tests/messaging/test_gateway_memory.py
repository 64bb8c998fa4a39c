"""A gateway's row, with its organisation's, remembered by the process that read it for an
inbound text (salama.messaging.channels.gateways, PostgreSQL): each text's INSERT checks that
both rows are still exactly as they were read, so a gateway turned off, a webhook secret
changed or an organisation's settings changed anywhere count for the very next text, and
nothing is ever refused from memory. The changes here are made as another process would make
them: in the database, behind this process's back."""

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from salama.accounts.models import Organisation
from salama.messaging.keywords import save_keywords
from salama.messaging.models import Gateway, InboundMessage, RejectedWebhook
from salama.messaging.services import save_gateway
from salama.safety.models import CheckIn
from tests.messaging import text_helpers
from tests.messaging.test_gateways import sign_json
from tests.messaging.text_helpers import NUMBERS, Roster, json_gateway

roster = text_helpers.roster
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


class _Poster:
    def __init__(self, roster: Roster) -> None:
        self.gateway = json_gateway(roster.org, "http://127.0.0.1:9")
        self.url = reverse("messaging:hook_inbound", kwargs={"gateway_key": self.gateway.key})
        self.client = Client()

    def __call__(self, ref: str, text: str = "SAFE", secret: str = "hook-secret-1") -> Any:
        body = json.dumps({"id": ref, "from": NUMBERS["k1"], "text": text}).encode()
        signed = sign_json(secret, body)
        return self.client.post(self.url, data=body, content_type="application/json", **signed)


def _new_secret(roster: Roster, secret: str) -> None:
    """The gateway's webhook secret changed by an org admin (another process, as far as this
    one's memory knows)."""
    credentials = {"send_token": "send-token-1", "webhook_secret": secret}
    save_gateway(
        org=roster.org,
        kind="http_json",
        base_url="http://127.0.0.1:9/send",
        public_url="",
        credentials=credentials,
        is_active=True,
        use_for_sms=True,
    )


def _stored(ref: str) -> bool:
    return InboundMessage.objects.filter(gateway_ref=ref).exists()


def test_a_gateway_turned_off_refuses_the_next_text(roster: Roster) -> None:
    post = _Poster(roster)
    assert post("t1").status_code == 200  # read, and remembered
    Gateway.objects.filter(pk=post.gateway.pk).update(is_active=False)
    assert post("t2").status_code == 403
    assert not _stored("t2")
    assert RejectedWebhook.objects.filter(reason="unknown_gateway").count() == 1
    # A text delivered again (stored before) is refused too, not answered from memory.
    assert post("t1").status_code == 403


def test_a_changed_secret_counts_at_once_both_ways(roster: Roster) -> None:
    post = _Poster(roster)
    assert post("s1").status_code == 200
    _new_secret(roster, "hook-secret-2")
    # Signed with the new secret, which the remembered row would refuse: accepted.
    assert post("s2", secret="hook-secret-2").status_code == 200
    assert _stored("s2")
    post("warm", secret="hook-secret-2")  # the new row read, and remembered
    _new_secret(roster, "hook-secret-3")
    # Signed with the secret this process still remembers, no longer the gateway's: refused.
    assert post("s3", secret="hook-secret-2").status_code == 403
    assert not _stored("s3")
    assert CheckIn.objects.filter(person=roster.k1).count() == 3


def test_an_organisation_changed_meanwhile_is_read_again(roster: Roster) -> None:
    """Keywords an administrator adds take effect for the next text, in every process."""
    post = _Poster(roster)
    assert post("k1").status_code == 200
    org = Organisation.objects.get(pk=roster.org.pk)
    save_keywords(org=org, add={"warda": "SAFE"}, remove=[], rename={})
    assert post("k2", text="warda").status_code == 200
    row = InboundMessage.objects.get(gateway_ref="k2")
    assert row.action == "checkin"
    assert CheckIn.objects.filter(person=roster.k1).count() == 2


def test_a_call_with_no_texts_is_not_answered_from_memory(roster: Roster) -> None:
    """No INSERT runs to check the remembered row, so it is read afresh: a gateway turned off
    refuses even an empty call, and the refusal is recorded."""
    post = _Poster(roster)
    assert post("e1").status_code == 200
    Gateway.objects.filter(pk=post.gateway.pk).update(is_active=False)
    body = json.dumps({"messages": []}).encode()
    signed = sign_json("hook-secret-1", body)
    response = post.client.post(post.url, data=body, content_type="application/json", **signed)
    assert response.status_code == 403
    assert RejectedWebhook.objects.filter(reason="unknown_gateway").count() == 1
