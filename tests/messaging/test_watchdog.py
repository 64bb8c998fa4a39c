"""The gateway watchdog: a gateway that usually receives texts and goes silent, or whose sends
keep failing, raises one routine alert (gateway_warning) through another channel than its own;
it warns again only after it recovered. (A poll from an unknown address: test_android.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from salama.accounts.models import Membership
from salama.alerts.models import Alert, AlertKind, AlertNotification
from salama.messaging import watchdog
from salama.messaging.inbound import receive
from salama.messaging.models import GatewayWarning, Priority
from salama.messaging.outbox import dispatch_outbox, queue_message
from salama.people.models import Person
from salama.people.services import add_contact_point
from tests.messaging import text_helpers
from tests.messaging.text_helpers import LocalGateway, json_gateway

pytestmark = pytest.mark.django_db
local_gateway = text_helpers.local_gateway
START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)


def _coordinator_points(world: Any) -> None:
    coordinator = Membership.objects.get(org=world.org, user=world.users["coordinator"])
    add_contact_point(org=world.org, kind="sms", value="+963944777001", membership=coordinator)
    add_contact_point(org=world.org, kind="email", value="c@example.org", membership=coordinator)


def _warnings() -> Any:
    return Alert.objects.filter(kind=AlertKind.GATEWAY_WARNING)


def test_a_usually_busy_gateway_that_goes_silent_warns_once_by_another_channel(
    world: Any, local_gateway: LocalGateway
) -> None:
    org = world.org
    _coordinator_points(world)
    with time_machine.travel(START, tick=False) as traveller:
        gateway = json_gateway(org, local_gateway.url)
        for i in range(6):
            receive(org=org, channel="http_json", sender=f"+9639447790{i:02d}", body="hello",
                    gateway_ref=f"w{i}", gateway=gateway)  # fmt: skip
        assert not watchdog.check_gateways()  # texts came in just now
        traveller.shift(timedelta(hours=3))
        assert watchdog.check_gateways()
        assert not watchdog.check_gateways()  # once
        assert _warnings().count() == 1
        told = AlertNotification.objects.filter(alert=_warnings().get())
        assert told.exists()
        assert {n.contact_point.kind for n in told} == {"email"}  # not through the silent one

        # It recovers (a text arrives), then goes silent again: a new warning.
        receive(org=org, channel="http_json", sender="+963944779099", body="hi",
                gateway_ref="back", gateway=gateway)  # fmt: skip
        assert not watchdog.check_gateways()
        assert GatewayWarning.objects.filter(cleared_at__isnull=True).count() == 0
        traveller.shift(timedelta(hours=3))
        assert watchdog.check_gateways()
        assert _warnings().count() == 2


def test_a_quiet_gateway_is_not_silent(world: Any, local_gateway: LocalGateway) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        json_gateway(world.org, local_gateway.url)
        traveller.shift(timedelta(days=2))
        assert not watchdog.check_gateways()
    assert not _warnings().exists()


def test_a_gateway_whose_sends_keep_failing_warns(
    world: Any, local_gateway: LocalGateway, settings: Any
) -> None:
    settings.OUTBOX_BACKOFF_BASE = 0.001
    org = world.org
    _coordinator_points(world)
    local_gateway.status = 500
    with time_machine.travel(START, tick=False) as traveller:
        json_gateway(org, local_gateway.url)
        person = Person.objects.create(org=org, codename="F1")
        point = add_contact_point(org=org, kind="sms", value="+963944779200", persons=[person])
        for _i in range(6):
            queue_message(org=org, contact_point=point, template="reminder", context={},
                          priority=Priority.NORMAL, reason="test")  # fmt: skip
        for _round in range(3):
            dispatch_outbox()
            traveller.shift(timedelta(seconds=30))
        assert watchdog.check_gateways()
    warning = GatewayWarning.objects.get()
    assert (warning.source, warning.reason) == ("http_json", watchdog.FAILING)
