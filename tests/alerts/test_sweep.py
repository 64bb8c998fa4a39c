"""Escalation of the silent: digests not floods, one outage alert for a dead area, reminders
only where allowed, silence acknowledgements, and a check-in that ends it."""

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from salama.alerts import sweep
from salama.alerts.models import Alert, AlertKind, Escalation, SilenceAck
from salama.lib import clock
from salama.messaging.models import Delivery, Message
from salama.people.models import Area, Basis, Person, Status
from salama.people.services import add_contact_point
from salama.safety.models import Channel
from salama.safety.services import record_checkin
from tests.alerts.conftest import T0, bodies, drain, wire
from tests.alerts.privacy import assert_clean

pytestmark = pytest.mark.django_db


def crowd(world: Any, roster: Any, n: int = 100) -> tuple[Area, list[Person]]:
    area = Area.objects.create(
        org=world.org, name_en="Bustan al-Qasr", name_ar="بستان القصر", aliases="Bustan\nبستان"
    )
    people = Person.objects.bulk_create(
        Person(
            org=world.org,
            codename=f"B{i:03d}",
            role="nurse",
            team=roster.teams["north"],
            area=area,
            heard_at=T0 - timedelta(hours=30),
            next_due_at=T0 + timedelta(days=2),
        )
        for i in range(n)
    )
    return area, people


def routine_messages(org: Any) -> list[Message]:
    return [
        m
        for m in Message.objects.for_org(org).order_by("pk")
        if m.template in ("digest_overdue", "outage", "digest_overdue_detail", "outage_detail")
    ]


def test_sixty_of_a_hundred_silent_over_two_minutes_one_text_per_recipient_and_one_outage(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    area, people = crowd(world, roster)
    for i, person in enumerate(people[:60]):
        person.next_due_at = T0 + timedelta(seconds=1 + i * 2)  # over two minutes
    Person.objects.bulk_update(people[:60], ["next_due_at"])
    for _second in range(180):
        frozen.shift(timedelta(seconds=1))
        sweep.sweep_overdue()
    assert Person.objects.filter(area=area, is_overdue=True).count() == 60
    assert Escalation.objects.filter(person__area=area, closed_at=None).count() == 60
    outages = Alert.objects.filter(org=world.org, kind=AlertKind.POSSIBLE_OUTAGE)
    assert outages.count() == 1 and outages.get().area == area
    per_point = Counter(m.contact_point_id for m in routine_messages(world.org))
    assert per_point, "the leads and the coordinator on duty heard nothing"
    assert max(per_point.values()) == 1
    lead_phone = roster.persons["K10"].contact_points.get()
    assert per_point[lead_phone.pk] == 1 and per_point[roster.coordinator_phone.pk] == 1
    # The outage is announced in the next window, in place of a digest; still one per window.
    for _second in range(200):
        frozen.shift(timedelta(seconds=1))
        sweep.sweep_overdue()
    to_coordinator = [
        m for m in routine_messages(world.org) if m.contact_point_id == roster.coordinator_phone.pk
    ]
    assert [m.template for m in to_coordinator] == ["digest_overdue", "outage"]
    gap = to_coordinator[1].created_at - to_coordinator[0].created_at
    assert gap >= timedelta(minutes=5)
    assert outages.get().silent_count >= 50
    drain()
    assert_clean(world, roster, [line["body"] for line in wire(sink)] + bodies(world.org))


def test_digest_counts_only_and_goes_once_per_window(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    for codename in ("K12", "K13", "K21"):
        Person.objects.filter(pk=roster.persons[codename].pk).update(
            next_due_at=T0 - timedelta(minutes=1)
        )
    assert sweep.sweep_overdue()
    drain()
    to_coordinator = [line for line in wire(sink) if line["to"] == "+963944000900"]
    assert [line["body"] for line in to_coordinator] == ["Not heard from: 3"]
    to_lead = [line["body"] for line in wire(sink) if line["to"] == "+963944000110"]
    assert len(to_lead) == 1 and to_lead[0].endswith("2")  # North only: K12, K13
    Person.objects.filter(pk=roster.persons["K20"].pk).update(next_due_at=clock.now())
    frozen.shift(timedelta(minutes=1))
    sweep.sweep_overdue()
    drain()
    assert len([line for line in wire(sink) if line["to"] == "+963944000900"]) == 1
    frozen.shift(timedelta(minutes=5))
    sweep.sweep_overdue()
    drain()
    to_coordinator = [line["body"] for line in wire(sink) if line["to"] == "+963944000900"]
    assert to_coordinator == ["Not heard from: 3", "Not heard from: 4"]


def test_reminder_only_where_allowed(world: Any, roster: Any, frozen: Any) -> None:
    k21 = roster.persons["K21"]
    Person.objects.filter(pk=k21.pk).update(next_due_at=T0 - timedelta(minutes=1))
    sweep.sweep_overdue()
    reminders = Message.objects.for_org(world.org).filter(template="reminder")
    assert not reminders.exists()  # one digest window first: is it a network cut?
    frozen.shift(sweep.window())
    sweep.sweep_overdue()
    assert reminders.count() == 1
    assert reminders.get().contact_point.persons.get() == k21
    # A high-risk area: no reminder unless the organisation opts in.
    area = roster.areas["sukkari"]
    area.risk = "high"
    area.save()
    Person.objects.filter(pk=roster.persons["K11"].pk).update(next_due_at=clock.now())
    frozen.shift(timedelta(seconds=1))
    sweep.sweep_overdue()
    frozen.shift(sweep.window())
    sweep.sweep_overdue()
    assert reminders.count() == 1
    # A shared ward phone is never reminded (who would answer?).
    assert not Message.objects.filter(template="reminder", contact_point=roster.ward_phone)


def test_silence_acknowledged_is_not_escalated(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    k21 = roster.persons["K21"]
    SilenceAck.objects.create(
        org=world.org,
        person=k21,
        by=rota.coordinator,
        reason="in surgery",
        expires_at=T0 + timedelta(hours=3),
    )
    Person.objects.filter(pk=k21.pk).update(next_due_at=T0 - timedelta(minutes=1))
    sweep.sweep_overdue()
    assert not routine_messages(world.org)
    frozen.shift(timedelta(hours=3, seconds=1))
    sweep.sweep_overdue()
    assert [m.template for m in routine_messages(world.org)] == ["digest_overdue"] * 2  # lead


def test_self_checkin_closes_the_escalation_and_relayed_does_not(
    world: Any, roster: Any, frozen: Any
) -> None:
    k21 = roster.persons["K21"]
    Person.objects.filter(pk=k21.pk).update(next_due_at=T0 - timedelta(minutes=1))
    sweep.sweep_overdue()
    escalation = Escalation.objects.get(person=k21)
    record_checkin(person=k21, status=Status.SAFE, basis=Basis.RELAYED, channel=Channel.RELAYED)
    escalation.refresh_from_db()
    assert escalation.closed_at is None
    record_checkin(person=k21, status=Status.SAFE, basis=Basis.SELF, channel=Channel.SMS)
    escalation.refresh_from_db()
    assert escalation.closed_at is not None


def test_email_digest_has_the_breakdown(world: Any, roster: Any, rota: Any, frozen: Any) -> None:
    add_contact_point(
        org=world.org, kind="email", value="duty@example.org", membership=rota.coordinator
    )
    Person.objects.filter(pk=roster.persons["K21"].pk).update(next_due_at=T0 - timedelta(1))
    sweep.sweep_overdue()
    mail = Message.objects.get(template="digest_overdue_detail")
    assert "Al-Shaar: 1 (K21)" in str(mail.body)
    sms = Message.objects.get(template="digest_overdue", contact_point=roster.coordinator_phone)
    assert "Al-Shaar" not in str(sms.body)
    assert Delivery.objects.filter(message=mail).exists()


def test_quiet_hours_hold_routine_texts_but_not_life_safety(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    from datetime import time

    from salama.alerts.rota import set_duty_profile
    from salama.alerts.services import raise_life_safety

    # 03:00 in Damascus: inside 23:00-06:00 quiet hours.
    set_duty_profile(
        membership=rota.coordinator,
        time_zone="Asia/Damascus",
        quiet_from=time(23, 0),
        quiet_until=time(6, 0),
    )
    Person.objects.filter(pk=roster.persons["K21"].pk).update(next_due_at=T0 - timedelta(1))
    sweep.sweep_overdue()
    to_coordinator = Message.objects.filter(contact_point=roster.coordinator_phone)
    assert not to_coordinator.exists()
    raise_life_safety(org=world.org, kind="injured", person=roster.persons["K21"])
    assert to_coordinator.get().template == "alert_life_safety"
    frozen.shift(timedelta(hours=3, minutes=1))  # 06:01: quiet hours are over
    sweep.sweep_overdue()
    assert to_coordinator.filter(template="digest_overdue").count() == 1
