"""A text is stored and handled in one transaction, and still never lost: with real commits
(transactional tests), a handling that fails half-way keeps nothing it did and commits the text
marked failed; a commit that fails stores the text again on its own; two deliveries of one
gateway id at once (PostgreSQL) store and handle it once, the second waiting for the first, and
many texts from the same numbers at once are each handled once."""

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from salama.lib import clock
from salama.messaging import handler
from salama.messaging.inbound import receive, retry_inbound
from salama.messaging.models import InboundMessage, Message
from salama.safety.models import CheckIn
from tests.messaging import text_helpers
from tests.messaging.test_gateways import sign_json
from tests.messaging.text_helpers import NUMBERS, Roster, json_gateway

roster = text_helpers.roster
pytestmark = pytest.mark.django_db(transaction=True)


def _post(roster: Roster, ref: str, text: str = "SAFE") -> Any:
    gateway = json_gateway(roster.org, "http://127.0.0.1:9")
    url = reverse("messaging:hook_inbound", kwargs={"gateway_key": gateway.key})
    body = json.dumps({"id": ref, "from": NUMBERS["k1"], "text": text}).encode()
    signed = sign_json("hook-secret-1", body)
    return Client().post(url, data=body, content_type="application/json", **signed)


def _retried_later(row: InboundMessage) -> InboundMessage:
    with time_machine.travel(clock.now() + timedelta(minutes=2), tick=False):
        assert retry_inbound()
    row.refresh_from_db()
    return row


def test_a_handling_that_fails_half_way_keeps_the_text_and_nothing_it_did(
    roster: Roster, monkeypatch: Any
) -> None:
    real = handler.handle

    def fails_after_the_checkin(inbound: Any, **kwargs: Any) -> Any:
        real(inbound, **kwargs)  # the check-in and the reply are written, then:
        raise RuntimeError("boom")

    monkeypatch.setattr(handler, "handle", fails_after_the_checkin)
    assert _post(roster, "half").status_code == 200
    row = InboundMessage.objects.get(gateway_ref="half")
    assert str(row.body) == "SAFE" and str(row.sender) == NUMBERS["k1"]
    assert row.state == "failed" and row.last_error == "error RuntimeError"
    assert row.attempts == 1 and row.next_attempt_at is not None
    assert row.contact_point_id is None and row.action == ""
    assert not CheckIn.objects.exists() and not Message.objects.exists()
    roster.points["k1"].refresh_from_db()
    assert roster.points["k1"].last_inbound_at is None  # rolled back with the handling
    monkeypatch.undo()
    row = _retried_later(row)
    assert row.state == "handled" and row.attempts == 2
    assert CheckIn.objects.filter(person=roster.k1).count() == 1
    assert Message.objects.filter(contact_point=roster.points["k1"]).count() == 1


def test_a_commit_that_fails_stores_the_text_again_failed(roster: Roster, monkeypatch: Any) -> None:
    real = handler.handle

    def breaks_a_deferred_constraint(inbound: Any, **kwargs: Any) -> Any:
        outcome = real(inbound, **kwargs)
        inbound.contact_point_id = 10**9  # no such point: refused only at COMMIT
        return outcome

    monkeypatch.setattr(handler, "handle", breaks_a_deferred_constraint)
    row, result = receive(
        org=roster.org, channel="http_json", sender=NUMBERS["k1"], body="SAFE", gateway_ref="c1"
    )
    assert result is None
    stored = InboundMessage.objects.get(gateway_ref="c1")
    assert stored.pk == row.pk and str(stored.body) == "SAFE"
    assert stored.state == "failed" and stored.attempts == 1
    assert not CheckIn.objects.exists() and not Message.objects.exists()
    monkeypatch.undo()
    stored = _retried_later(stored)
    assert stored.state == "handled"
    assert CheckIn.objects.filter(person=roster.k1).count() == 1


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.postgres
def test_two_deliveries_of_one_text_at_once_are_stored_and_handled_once(
    roster: Roster, monkeypatch: Any
) -> None:
    real = handler.handle
    handled, release = threading.Event(), threading.Event()

    def holds_its_transaction_open(inbound: Any, **kwargs: Any) -> Any:
        outcome = real(inbound, **kwargs)
        if threading.current_thread().name == "first":
            handled.set()
            release.wait(60)
        return outcome

    monkeypatch.setattr(handler, "handle", holds_its_transaction_open)
    results: dict[str, Any] = {}

    def deliver() -> None:
        name = threading.current_thread().name
        try:
            results[name] = receive(
                org=roster.org,
                channel="http_json",
                sender=NUMBERS["k1"],
                body="SAFE",
                gateway_ref="twice",
            )
        finally:
            connections.close_all()

    first = threading.Thread(target=deliver, name="first")
    second = threading.Thread(target=deliver, name="second")
    first.start()
    try:
        assert handled.wait(60)
        second.start()
        deadline = time.monotonic() + 60
        while _waiting_on_a_lock() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _waiting_on_a_lock() == 1  # the second INSERT waits on the first's gateway id
        assert "second" not in results
    finally:
        release.set()
        first.join(60)
        if second.is_alive() or second.ident is not None:
            second.join(60)
    (row_1, result_1), (row_2, result_2) = results["first"], results["second"]
    assert result_1 is not None and result_1["action"] == "checkin" and result_2 is None
    assert row_1.pk == row_2.pk
    assert InboundMessage.objects.filter(gateway_ref="twice").count() == 1
    assert CheckIn.objects.filter(person=roster.k1).count() == 1
    assert Message.objects.filter(contact_point=roster.points["k1"]).count() == 1


@pytest.mark.postgres
def test_texts_from_the_same_numbers_at_once_are_each_handled_once(roster: Roster) -> None:
    # Eight deliverers, own and shared numbers, each text delivered twice: no deadlock between
    # the point's lock and the persons', nothing failed, nothing handled twice.
    senders = [
        (NUMBERS["k1"], "SAFE"),
        (NUMBERS["k3"], "SAFE"),
        (NUMBERS["ward"], "SAFE K2 K3"),
        (NUMBERS["lead"], "SAFE"),
    ]
    errors: list[str] = []

    def deliver(worker: int) -> None:
        try:
            for i in range(25):
                sender, body = senders[(worker + i) % len(senders)]
                for _twice in range(2):
                    receive(
                        org=roster.org,
                        channel="http_json",
                        sender=sender,
                        body=body,
                        gateway_ref=f"{worker}-{i}",
                    )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    states = list(InboundMessage.objects.values_list("state", flat=True))
    assert len(states) == 200 and set(states) == {"handled"}
    ward_texts = 8 * 25 // len(senders)  # each checks in two persons, K2 and K3
    assert CheckIn.objects.count() == 200 + ward_texts
