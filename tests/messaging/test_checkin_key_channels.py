"""One idempotency store for check-ins whatever the channel (issue 22 items 3 and 4): the same
key and status by the API (or the field page) and by a text through the real inbound webhook is
stored once; the key's short form in texts; its typo check."""

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from salama.lib import checkinkey
from salama.messaging.models import Delivery
from salama.messaging.outbox import dispatch_outbox
from salama.messaging.parser import parse
from salama.safety.models import CheckIn, CheckInKey
from salama.safety.tokens import create_token
from tests.messaging import text_helpers
from tests.messaging.outbox_helpers import T0
from tests.messaging.test_gateways import post_json
from tests.messaging.text_helpers import NUMBERS, LocalGateway, Roster, json_gateway

roster = text_helpers.roster
local_gateway = text_helpers.local_gateway


@pytest.fixture
def _clock() -> Any:
    with time_machine.travel(T0) as traveller:
        yield traveller


def _api(world: Any, key: str, status: str = "SAFE") -> Any:
    token = create_token(user=world.users["lead"], org=world.org, name="phone")
    return Client().post(
        "/api/checkins",
        json.dumps({"status": status}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def _text(roster: Roster, gateway: Any, text: str, ref: str) -> None:
    payload = {"id": ref, "from": NUMBERS["lead"], "text": text}
    assert post_json(gateway, "hook_inbound", payload).status_code == 200


# --- The key's form ----------------------------------------------------------------------------


def test_a_new_key_reads_back_in_every_forgiving_form() -> None:
    key = checkinkey.new_key()
    assert checkinkey.canonical(key) == key and len(key) == 7
    assert checkinkey.canonical("#" + key.upper()) == key
    assert checkinkey.canonical(f"# {key[:3]}-{key[3:]}") == key
    arabic = key.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert checkinkey.canonical(arabic) == key
    with_o = "0" + key[1:]
    if checkinkey.canonical(with_o):  # o typed for 0
        assert checkinkey.canonical("o" + key[1:]) == with_o


def test_a_single_mistyped_character_or_swap_is_caught() -> None:
    caught = missed = 0
    for _ in range(200):
        key = checkinkey.new_key()
        for i in range(7):
            for c in checkinkey.ALPHABET:
                if c == key[i]:
                    continue
                typo = key[:i] + c + key[i + 1 :]
                if checkinkey.canonical(typo) is None:
                    caught += 1
                else:
                    missed += 1
        for i in range(6):
            swapped = key[:i] + key[i + 1] + key[i] + key[i + 2 :]
            if swapped != key:
                assert checkinkey.canonical(swapped) is None or abs(
                    checkinkey.ALPHABET.index(key[i]) - checkinkey.ALPHABET.index(key[i + 1])
                ) in (0, 29)
    assert missed / (caught + missed) < 0.05


def test_the_parser_takes_the_key_out_and_reads_the_rest() -> None:
    key = checkinkey.new_key()
    safe = parse(f"SAFE #{key}")
    assert (safe.kind, safe.status, safe.key) == ("checkin", "SAFE", key)
    arabic = parse(f"آمن #{key.upper()}")
    assert (arabic.kind, arabic.status, arabic.key) == ("checkin", "SAFE", key)
    help_ = parse(f"HELP #{key} trapped in the basement")
    assert help_.status == "NEED_HELP" and help_.key == key
    assert help_.note == "HELP trapped in the basement"
    plain = parse("SAFE")
    assert plain.key is None and plain.status == "SAFE"
    bad = key[:6] + ("0" if key[6] != "0" else "1")
    mistyped = parse(f"SAFE #{bad}")
    assert mistyped.kind == "checkin" and mistyped.status == "SAFE" and mistyped.key is None


# --- One store across channels -----------------------------------------------------------------


@pytest.mark.django_db
def test_api_then_text_with_the_same_key_is_stored_once(
    _clock: Any, world: Any, roster: Roster, local_gateway: LocalGateway
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    key = checkinkey.new_key()
    first = _api(world, key)
    assert first.status_code == 201, first.content
    _clock.shift(timedelta(minutes=20))
    _text(roster, gateway, f"SAFE #{key}", "in-k1")
    assert CheckIn.objects.filter(person=roster.lead).count() == 1
    assert CheckInKey.objects.get().checkin_id == first.json()["id"]
    dispatch_outbox()
    (reply,) = [t for t in local_gateway.texts if t["to"] == NUMBERS["lead"]]
    # The duplicate is answered with the first check-in's server time (T0), not the text's.
    zone = ZoneInfo(roster.org.time_zone)
    received = CheckIn.objects.get().received_at
    assert received < T0 + timedelta(minutes=1)
    assert received.astimezone(zone).strftime("%H:%M") in reply["text"]
    later = (T0 + timedelta(minutes=20)).astimezone(zone).strftime("%H:%M")
    assert later not in reply["text"]


@pytest.mark.django_db
def test_text_then_api_with_the_same_key_answers_the_first(
    _clock: Any, world: Any, roster: Roster, local_gateway: LocalGateway
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    key = checkinkey.new_key()
    _text(roster, gateway, f"آمن #{key}", "in-k2")
    original = CheckIn.objects.get()
    again = _api(world, "#" + key.upper())
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == original.pk and again.json()["channel"] == "sms"
    conflict = _api(world, key, status="INJURED")
    assert conflict.status_code == 409 and conflict.json()["detail"]
    assert CheckIn.objects.count() == 1


@pytest.mark.django_db
def test_a_text_with_a_used_key_and_another_status_is_still_recorded(
    _clock: Any, world: Any, roster: Roster, local_gateway: LocalGateway
) -> None:
    gateway = json_gateway(roster.org, local_gateway.url)
    key = checkinkey.new_key()
    assert _api(world, key).status_code == 201
    _text(roster, gateway, f"HELP #{key} trapped", "in-k3")
    statuses = sorted(CheckIn.objects.values_list("status", flat=True))
    assert statuses == ["NEED_HELP", "SAFE"]  # a call for help is never refused
    assert CheckInKey.objects.count() == 1
    assert not Delivery.objects.filter(state="dead").exists()
