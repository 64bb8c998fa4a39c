"""Suppression: nothing to a compromised number; nothing at all to the own phone of a person
under a DETAINED, MISSING or KILLED decision; each such message recorded and releasable."""

import json
from typing import Any

import pytest

from salama.accounts.models import AuditEvent
from salama.lib import clock
from salama.messaging import outbox
from salama.messaging.models import Delivery, DeliveryState, Message, Priority, Suppression
from salama.people.models import ContactState, Person
from salama.people.services import add_contact_point
from tests.messaging import outbox_helpers

frozen = outbox_helpers.frozen
sink = outbox_helpers.sink
phones = outbox_helpers.phones

pytestmark = pytest.mark.django_db


def send(world: Any, point: Any, template: str = "reminder", **context: Any) -> Message | None:
    return outbox.queue_message(
        org=world.org,
        contact_point=point,
        template=template,
        context=context,
        priority=Priority.NORMAL,
        reason="reminder",
    )


def test_nothing_is_queued_to_a_compromised_number(world, phones, frozen) -> None:
    phones.k1_phone.state = ContactState.COMPROMISED
    phones.k1_phone.save()
    assert not outbox.is_reachable(phones.k1_phone)
    assert send(world, phones.k1_phone) is None
    assert not Delivery.objects.exists()
    suppression = Suppression.objects.get()
    assert suppression.reason == "compromised" and suppression.released_at is None
    assert suppression.message.contact_point == phones.k1_phone


@pytest.mark.parametrize("decision", ["DETAINED", "MISSING", "KILLED"])
def test_nothing_at_all_to_the_own_phone_under_a_decision(world, phones, frozen, decision) -> None:
    phones.k1.decision = decision
    phones.k1.save()
    for template, context in [
        ("reminder", {}),
        ("digest_overdue", {"count": 3}),
        ("alert_life_safety", {"codename": "K2", "status": "HELP", "alert": 7}),
        ("reply_ok", {"time": clock.now()}),
    ]:
        assert send(world, phones.k1_phone, template, **context) is None
        assert send(world, phones.k1_mail, template, **context) is None
    assert not Delivery.objects.exists()
    assert Suppression.objects.filter(reason="decision", decision=decision).count() == 8


def test_evacuated_and_no_decision_still_receive(world, phones, frozen) -> None:
    phones.k1.decision = "EVACUATED"
    phones.k1.save()
    assert outbox.is_reachable(phones.k1_phone)
    assert send(world, phones.k1_phone) is not None


def test_a_shared_phone_still_receives_under_a_decision(world, phones, frozen) -> None:
    phones.k1.decision = "DETAINED"
    phones.k1.save()
    assert outbox.is_reachable(phones.ward)
    assert send(world, phones.ward) is not None


def test_a_lead_detained_through_their_login_is_unreachable(world, frozen) -> None:
    membership = world.users["lead"].memberships.get(org=world.org)
    lead = Person.objects.create(
        org=world.org, codename="L1", role="doctor", membership=membership, decision="DETAINED"
    )
    point = add_contact_point(
        org=world.org, kind="sms", value="+963944000601", membership=membership
    )
    assert not lead.contact_points.exists()
    assert not outbox.is_reachable(point)
    assert send(world, point) is None


def test_a_suspended_number_is_not_used(world, phones, frozen) -> None:
    phones.k2_phone.state = ContactState.SUSPENDED
    phones.k2_phone.save()
    assert send(world, phones.k2_phone) is None
    assert Suppression.objects.get().reason == "suspended"


def test_a_phone_seized_after_queueing_gets_nothing(world, phones, frozen, sink) -> None:
    message = send(world, phones.k1_phone)
    assert message is not None
    phones.k1_phone.state = ContactState.COMPROMISED
    phones.k1_phone.save()
    outbox.dispatch_outbox()
    assert not sink.exists()
    delivery = message.deliveries.get()
    assert delivery.state == DeliveryState.DEAD and delivery.last_error == "suppressed"
    assert Suppression.objects.get().delivery == delivery
    # A retry from the dead letters is refused while the number is compromised.
    with pytest.raises(outbox.OutboxError):
        outbox.retry_dead(delivery)


def test_release_queues_one_suppressed_message_and_is_audited(world, phones, frozen, sink) -> None:
    phones.k1.decision = "DETAINED"
    phones.k1.save()
    send(world, phones.k1_phone)
    send(world, phones.k1_phone)
    first, second = Suppression.objects.order_by("pk")
    coordinator = world.users["coordinator"].memberships.get(org=world.org)
    delivery = outbox.release_suppression(first, actor=coordinator)
    assert delivery.state == DeliveryState.QUEUED and delivery.is_released
    outbox.dispatch_outbox()
    lines = [json.loads(x) for x in sink.read_text().splitlines()]
    assert [line["delivery"] for line in lines] == [delivery.pk]  # only the released one
    first.refresh_from_db()
    assert first.released_by == coordinator and first.released_at == clock.now()
    second.refresh_from_db()
    assert second.released_at is None
    event = AuditEvent.objects.get(action="messaging.release")
    assert event.object_id == str(first.pk) and event.actor_id == coordinator.user_id
    with pytest.raises(outbox.OutboxError):
        outbox.release_suppression(first, actor=coordinator)


def test_release_of_a_send_time_suppression_requeues_that_delivery(
    world, phones, frozen, sink
) -> None:
    message = send(world, phones.k1_phone)
    assert message is not None
    phones.k1_phone.state = ContactState.COMPROMISED
    phones.k1_phone.save()
    outbox.dispatch_outbox()
    delivery = outbox.release_suppression(Suppression.objects.get())
    assert delivery.pk == message.deliveries.get().pk
    outbox.dispatch_outbox()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and len(sink.read_text().splitlines()) == 1
