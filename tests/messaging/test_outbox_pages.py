"""The outbox pages: failed and dead deliveries with retry, suppressed messages with release,
and the organisation's wording of every text."""

from typing import Any

import pytest

from salama.accounts.models import AuditEvent
from salama.lib import clock
from salama.messaging import outbox
from salama.messaging.models import DeliveryState, MessageTemplate, Priority, Suppression
from salama.people.models import ContactState
from tests.messaging import outbox_helpers

frozen = outbox_helpers.frozen
phones = outbox_helpers.phones

pytestmark = pytest.mark.django_db


def queue(world: Any, point: Any) -> Any:
    return outbox.queue_message(
        org=world.org,
        contact_point=point,
        template="reply_ok",
        context={"time": clock.now()},
        priority=Priority.NORMAL,
        reason="reply",
    )


def test_dead_deliveries_are_listed_without_numbers_and_can_be_retried(
    world, phones, clients
) -> None:
    delivery = queue(world, phones.k1_phone).deliveries.get()
    delivery.state, delivery.last_error = DeliveryState.DEAD, "smtp 550"
    delivery.save()
    page = clients["coordinator"].get("/messaging/deliveries/")
    html = page.content.decode()
    assert page.status_code == 200 and "smtp 550" in html and "K1" in html
    assert "944000301" not in html
    response = clients["coordinator"].post(f"/messaging/deliveries/{delivery.pk}/retry")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.QUEUED
    assert AuditEvent.objects.filter(action="messaging.retry", object_id=str(delivery.pk)).exists()


def test_another_organisations_delivery_is_not_found(world, phones, clients) -> None:
    delivery = queue(world, phones.k1_phone).deliveries.get()
    assert clients["outsider"].post(f"/messaging/deliveries/{delivery.pk}/retry").status_code == 404


def test_staff_cannot_see_the_outbox(world, clients) -> None:
    assert clients["staff"].get("/messaging/deliveries/").status_code == 403
    assert clients["lead"].get("/messaging/suppressed/").status_code == 403


def test_a_suppressed_message_is_listed_and_released_once(world, phones, clients) -> None:
    phones.k1_phone.state = ContactState.COMPROMISED
    phones.k1_phone.save()
    assert queue(world, phones.k1_phone) is None
    suppression = Suppression.objects.get()
    html = clients["coordinator"].get("/messaging/suppressed/").content.decode()
    assert "compromised" in html and "944000301" not in html
    url = f"/messaging/suppressed/{suppression.pk}/release"
    assert clients["coordinator"].post(url).status_code == 302
    suppression.refresh_from_db()
    assert suppression.released_at is not None
    assert suppression.message.deliveries.get().state == DeliveryState.QUEUED
    response = clients["coordinator"].post(url, follow=True)
    assert "already released" in response.content.decode()
    assert suppression.message.deliveries.count() == 1
    assert AuditEvent.objects.filter(action="messaging.release").count() == 1


def test_the_texts_page_shows_every_text_with_its_segments(world, clients) -> None:
    html = clients["org_admin"].get("/messaging/texts/").content.decode()
    assert "alert_life_safety" in html and "1 segment (GSM-7)" in html
    assert "1 segment (UCS-2)" in html


def test_editing_a_text_refuses_unknown_fields(world, clients) -> None:
    url = "/messaging/texts/edit?key=reply_ok&language=en"
    response = clients["coordinator"].post(url, {"body": "Hi {name} {time}"})
    assert response.status_code == 200 and "Unknown field {name}" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_editing_a_text_saves_shows_segments_and_resets(world, clients) -> None:
    url = "/messaging/texts/edit?key=reply_ok&language=en"
    page = clients["coordinator"].get(url).content.decode()
    assert "Received {time}" in page and "1 SMS segment (GSM-7)" in page
    assert clients["coordinator"].post(url, {"body": "Got it {time}"}).status_code == 302
    assert MessageTemplate.objects.get(org=world.org).body == "Got it {time}"
    assert clients["coordinator"].post(url, {"body": "é" * 100 + "ب {time}"}).status_code == 302
    assert "segments (UCS-2)" in clients["coordinator"].get(url).content.decode()
    assert clients["coordinator"].post(url, {"reset": "1"}).status_code == 302
    assert not MessageTemplate.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="messaging.text_").count() == 3


def test_an_unknown_text_key_is_not_found(world, clients) -> None:
    assert (
        clients["coordinator"].get("/messaging/texts/edit?key=nope&language=en").status_code == 404
    )
