"""A call for help: routed at once to the people who can act, up the rota when nobody answers,
quiet once someone owns it; the sender is told the truth."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from salama.alerts import services
from salama.alerts.models import Alert, AlertKind, AlertState, Severity
from salama.lib import clock
from salama.messaging import texts
from salama.people.models import Basis, Status
from salama.safety.models import Channel
from salama.safety.services import record_checkin
from tests.alerts.conftest import COORDINATOR2_NUMBER, drain, wire
from tests.people.factories import COORDINATOR_NUMBER

pytestmark = pytest.mark.django_db

LEAD = "+963944000110"
DEPUTY = ["+963944000111", "+963999000111"]
WARD = "+963944000199"


def help_from_k12(roster: Any, note: str = "bleeding, basement of the hospital") -> Any:
    return record_checkin(
        person=roster.persons["K12"],
        status=Status.NEED_HELP,
        basis=Basis.SELF,
        channel=Channel.SMS,
        note=note,
        contact_point=roster.ward_phone,
    )


def sent_to(lines: list[dict[str, Any]]) -> list[str]:
    return sorted(line["to"] for line in lines)


def test_help_reaches_lead_deputy_and_duty_coordinator_at_once(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    help_from_k12(roster)
    drain()
    lines = wire(sink)
    alert = Alert.objects.get(org=world.org)
    assert alert.kind == AlertKind.NEED_HELP and alert.severity == Severity.LIFE_SAFETY
    assert sent_to(lines) == sorted([LEAD, *DEPUTY, COORDINATOR_NUMBER, WARD])
    to_coordinator = next(line for line in lines if line["to"] == COORDINATOR_NUMBER)
    assert to_coordinator["body"] == f"K12 HELP - reply OK {alert.number}"
    to_sender = next(line for line in lines if line["to"] == WARD)
    expected = texts.render(world.org, "reply_received", "ar", {"time": clock.now()})
    assert to_sender["body"] == expected
    assert "03:00" in to_sender["body"]


def test_unacknowledged_help_reaches_next_on_rota_at_ten_minutes_then_stops_when_acked(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    help_from_k12(roster)
    drain()
    first = len(wire(sink))
    frozen.shift(timedelta(minutes=9, seconds=59))
    assert not services.escalate_alerts()
    frozen.shift(timedelta(seconds=1))
    assert services.escalate_alerts()
    drain()
    step1 = wire(sink)[first:]
    assert sent_to(step1) == [COORDINATOR2_NUMBER]
    alert = Alert.objects.get(org=world.org)
    frozen.shift(timedelta(minutes=2))
    assert services.acknowledge(alert=alert, by=rota.coordinator2, via="page")
    assert not services.acknowledge(alert=alert, by=rota.coordinator, via="page")
    drain()
    after_ack = wire(sink)[first + 1 :]
    assert sent_to(after_ack) == [WARD]
    assert "03:12" in after_ack[0]["body"]
    for _ in range(6):
        frozen.shift(timedelta(minutes=10))
        assert not services.escalate_alerts()
    drain()
    assert len(wire(sink)) == first + 2
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.owner == rota.coordinator2


def test_without_anyone_on_the_rota_every_coordinator_is_told(
    world: Any, roster: Any, sink: Path, frozen: Any
) -> None:
    help_from_k12(roster)
    drain()
    assert COORDINATOR_NUMBER in sent_to(wire(sink))


def test_unanswered_alert_goes_to_all_coordinators_after_the_rota(
    world: Any, roster: Any, rota: Any, sink: Path, frozen: Any
) -> None:
    help_from_k12(roster)
    frozen.shift(timedelta(minutes=10))
    services.escalate_alerts()
    drain()
    start = len(wire(sink))
    frozen.shift(timedelta(minutes=10))
    assert services.escalate_alerts()
    drain()
    assert sent_to(wire(sink)[start:]) == sorted([COORDINATOR_NUMBER, COORDINATOR2_NUMBER])


def test_close_keeps_note_encrypted_and_needs_one(world: Any, roster: Any, rota: Any) -> None:
    checkin = help_from_k12(roster)
    alert = Alert.objects.get(checkin_id=checkin.pk)
    with pytest.raises(services.AlertError):
        services.close(alert=alert, by=rota.coordinator, note="  ")
    assert services.close(alert=alert, by=rota.coordinator, note="ambulance sent by K10")
    alert.refresh_from_db()
    assert alert.state == AlertState.CLOSED and alert.close_note == "ambulance sent by K10"
    with connection.cursor() as cursor:
        cursor.execute("SELECT close_note FROM alerts_alert WHERE id = %s", [alert.pk])
        raw = cursor.fetchone()[0]
    assert raw and "ambulance" not in raw


def test_second_help_reuses_the_open_alert(world: Any, roster: Any, rota: Any) -> None:
    help_from_k12(roster)
    help_from_k12(roster, note="still here")
    assert Alert.objects.filter(org=world.org).count() == 1
