"""Seized phones and detained people: nothing goes to their numbers, routing skips them, what
comes from them changes nothing but raises a life-safety alert to the coordinators."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from salama.accounts.models import ApiToken, AuditEvent, UserSession
from salama.alerts import services, sweep
from salama.alerts.models import Alert, AlertKind, Severity
from salama.messaging.models import Delivery, Message, Priority
from salama.messaging.outbox import queue_message
from salama.people.models import Basis, Person, Status
from salama.safety.models import Channel
from salama.safety.services import make_decision, record_checkin
from tests.alerts.conftest import T0, bodies, drain, member, wire
from tests.alerts.privacy import assert_clean
from tests.people.factories import COORDINATOR_NUMBER

pytestmark = pytest.mark.django_db


def deliveries_to(person: Person) -> int:
    return Delivery.objects.filter(message__contact_point__persons=person).count()


def detain(person: Person, by: Any) -> None:
    make_decision(
        person=person,
        kind="DETAINED",
        certainty="reported",
        made_by=by,
        source="a colleague",
        reason="not seen",
    )


def test_detained_person_overdue_or_targeted_gets_nothing(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    k21 = roster.persons["K21"]
    detain(k21, rota.coordinator)
    Person.objects.filter(pk=k21.pk).update(next_due_at=T0 - timedelta(minutes=1))
    frozen.shift(timedelta(minutes=1))
    sweep.sweep_overdue()
    # Targeted: a text from their phone after the decision raises an alert; no reply goes back.
    k21.refresh_from_db()
    point = k21.contact_points.get()
    record_checkin(
        person=k21, status=Status.SAFE, basis=Basis.SELF, channel=Channel.SMS, contact_point=point
    )
    alert = Alert.objects.get(person=k21)
    assert alert.kind == AlertKind.CONTACT_SINCE_DECISION
    assert alert.severity == Severity.LIFE_SAFETY
    # The outbox itself refuses the detained person's phone too.
    assert (
        queue_message(
            org=world.org,
            contact_point=point,
            template="reminder",
            context={},
            priority=Priority.NORMAL,
            reason="reminder",
        )
        is None
    )
    drain()
    assert deliveries_to(k21) == 0
    assert point.value not in [line["to"] for line in wire(sink)]
    assert COORDINATOR_NUMBER in [line["to"] for line in wire(sink)]
    assert all(line["to"] != "+963944000120" for line in wire(sink))  # the lead: coordinators only


def test_detained_lead_gets_no_alert_nor_digest_for_their_team(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    k10 = roster.persons["K10"]
    detain(k10, rota.coordinator)
    record_checkin(
        person=roster.persons["K12"],
        status=Status.INJURED,
        basis=Basis.SELF,
        channel=Channel.SMS,
        note="shrapnel",
        contact_point=roster.ward_phone,
    )
    Person.objects.filter(pk=roster.persons["K13"].pk).update(next_due_at=T0 - timedelta(1))
    sweep.sweep_overdue()
    drain()
    assert deliveries_to(k10) == 0
    told = [line["to"] for line in wire(sink)]
    assert "+963944000110" not in told
    assert "+963944000111" in told  # the deputy
    assert_clean(world, roster, bodies(world.org))


def test_no_reachable_lead_falls_back_to_every_coordinator(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    detain(roster.persons["K10"], rota.coordinator)
    services.mark_phone_seized(
        contact_point=roster.persons["K11"].contact_points.first(), by=rota.coordinator
    )
    detain(roster.persons["K11"], rota.coordinator)
    record_checkin(
        person=roster.persons["K13"],
        status=Status.NEED_HELP,
        basis=Basis.SELF,
        channel=Channel.SMS,
        contact_point=roster.ward_phone,
    )
    drain()
    told = {line["to"] for line in wire(sink)}
    assert {COORDINATOR_NUMBER, "+963944000902"} <= told
    assert not told & {"+963944000110", "+963944000111", "+963999000111"}


def test_checkin_from_a_compromised_number_changes_nothing_and_raises_an_alert(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    k21 = roster.persons["K21"]
    before = Person.objects.filter(pk=k21.pk).values().get()
    point = k21.contact_points.get()
    services.mark_phone_seized(contact_point=point, by=rota.coordinator)
    assert AuditEvent.objects.filter(action="contact.seized", object_id=str(point.pk)).exists()
    frozen.shift(timedelta(minutes=1))
    point.refresh_from_db()
    record_checkin(
        person=k21, status=Status.SAFE, basis=Basis.SELF, channel=Channel.SMS, contact_point=point
    )
    assert Person.objects.filter(pk=k21.pk).values().get() == before
    alert = Alert.objects.get(person=k21)
    assert alert.kind == AlertKind.COMPROMISED_CONTACT and alert.is_life_safety
    drain()
    assert [line["to"] for line in wire(sink)] == [COORDINATOR_NUMBER]
    assert not Message.objects.filter(contact_point=point).exists()


def test_detained_lead_cannot_acknowledge(world: Any, roster: Any, rota: Any) -> None:
    record_checkin(
        person=roster.persons["K12"], status=Status.NEED_HELP, basis=Basis.SELF, channel="sms"
    )
    alert = Alert.objects.get()
    detain(roster.persons["K10"], rota.coordinator)
    with pytest.raises(services.AlertError):
        services.acknowledge(alert=alert, by=member(world, "lead"), via="api")
    alert.refresh_from_db()
    assert alert.state == "open"


def test_detained_decision_ends_the_login_sessions_and_tokens(
    world: Any, roster: Any, clients: Any
) -> None:
    lead_user = world.users["lead"]
    clients["lead"].get("/")
    token = ApiToken.objects.create(
        org=world.org, user=lead_user, name="phone", token_hash="x" * 64
    )
    assert UserSession.objects.filter(user=lead_user).exists()
    make_decision(
        person=roster.persons["K10"],
        kind="MISSING",
        certainty="reported",
        made_by=member(world, "coordinator"),
        source="a colleague",
        reason="not seen",
    )
    assert not UserSession.objects.filter(user=lead_user).exists()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert UserSession.objects.filter(user=world.users["coordinator"]).exists()
