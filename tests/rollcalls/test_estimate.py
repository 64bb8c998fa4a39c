"""The roll-call page's estimate of its last hand-off (services.last_send_at): the queue ahead
less what the bucket can send at once, at the channel's rate, and never before a failed
message's retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from salama.lib import clock
from salama.messaging import channels
from salama.messaging.models import Delivery, DeliveryState, RateBucket
from salama.people.models import Person
from salama.people.services import add_contact_point
from salama.rollcalls import services

pytestmark = pytest.mark.django_db
START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)


def _open_to(org: Any, count: int) -> Any:
    for i in range(count):
        person = Person.objects.create(org=org, codename=f"E{i}", role="nurse")
        add_contact_point(org=org, kind="sms", value=f"+96394420{i:04d}", persons=[person])
    return services.open_roll_call(
        org=org,
        question="Are you well?",
        target=services.Target(everyone=True),
        deadline_at=clock.now() + timedelta(hours=1),
    )


def test_the_estimate_counts_the_burst_on_hand_then_the_rate(world: Any) -> None:
    with time_machine.travel(START, tick=False):
        channel = channels.channel_for_kind("sms", world.org)
        RateBucket.objects.update_or_create(
            channel=channel,
            defaults={
                "capacity": 5.0,
                "refill_per_second": 1.0,
                "tokens": 5.0,
                "updated_at": clock.now(),
            },
        )
        roll_call = _open_to(world.org, 20)
        # 5 go at once, the other 15 at one a second.
        assert services.last_send_at(roll_call) == clock.now() + timedelta(seconds=15)
        RateBucket.objects.filter(channel=channel).update(tokens=0.0)
        assert services.last_send_at(roll_call) == clock.now() + timedelta(seconds=20)


def test_the_estimate_waits_for_a_failed_messages_retry(world: Any) -> None:
    with time_machine.travel(START, tick=False):
        roll_call = _open_to(world.org, 3)
        first = services.last_send_at(roll_call)
        assert first is not None and first < clock.now() + timedelta(minutes=1)
        retry = clock.now() + timedelta(minutes=10)
        Delivery.objects.filter(pk=Delivery.objects.order_by("pk").first().pk).update(
            state=DeliveryState.FAILED, next_attempt_at=retry
        )
        assert services.last_send_at(roll_call) == retry


def test_the_composer_names_areas_in_the_pages_language(world: Any) -> None:
    from django.utils import translation

    from salama.people.services import save_area
    from salama.rollcalls.forms import ComposerForm

    save_area(org=world.org, name_en="Al-Shaar", name_ar="الشعار", aliases="")
    for language, name in (("ar", "الشعار"), ("en", "Al-Shaar")):
        with translation.override(language):
            labels = [
                label for _value, label in ComposerForm(org=world.org).fields["areas"].choices
            ]
        assert labels == [name]
