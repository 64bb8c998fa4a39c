"""The monthly budget: spend is segments x price of what was handed off; a routine alert once at
80% and once at 100%; at 100% bulk and normal texts are held on paid channels and life-safety
texts still go; a higher budget lets the held texts go. The composer previews the cost."""

from __future__ import annotations

from typing import Any

import pytest

from salama.accounts.models import Membership
from salama.alerts.models import Alert, AlertKind
from salama.messaging import budget
from salama.messaging.models import (
    BudgetNotice,
    Charge,
    Delivery,
    DeliveryState,
    Priority,
    RateBucket,
)
from salama.messaging.outbox import dispatch_outbox, queue_message
from salama.people.models import Person
from salama.people.services import add_contact_point
from tests.messaging import text_helpers
from tests.messaging.text_helpers import LocalGateway, json_gateway

local_gateway = text_helpers.local_gateway

pytestmark = pytest.mark.django_db


def _setup(world: Any, url: str, monthly: float) -> Any:
    org = world.org
    json_gateway(org, url)
    RateBucket.objects.update_or_create(
        channel="http_json",
        defaults={"capacity": 500.0, "refill_per_second": 500.0, "tokens": 500.0},
    )
    org.refresh_from_db()
    org.settings["monthly_budget"] = monthly
    org.save(update_fields=["settings"])
    coordinator = Membership.objects.get(org=org, user=world.users["coordinator"])
    add_contact_point(org=org, kind="sms", value="+963944777001", membership=coordinator)
    add_contact_point(org=org, kind="email", value="coord@example.org", membership=coordinator)
    return org


def _queue(org: Any, count: int, priority: int, tag: str) -> Any:
    person = Person.objects.create(org=org, codename=f"X{tag}")
    point = add_contact_point(org=org, kind="sms", value=f"+96394477{tag}", persons=[person])
    for _i in range(count):
        queue_message(org=org, contact_point=point, template="reminder", context={},
                      priority=priority, reason="test")  # fmt: skip
    return point


def _drain() -> None:
    while dispatch_outbox():
        pass
    budget.charge_deliveries()


def test_spend_warns_at_80_then_holds_normal_and_bulk_but_never_life_safety(
    world: Any, local_gateway: LocalGateway, settings: Any, tmp_path: Any
) -> None:
    settings.OUTBOX_CONSOLE_SINK = str(tmp_path / "console.jsonl")
    org = _setup(world, local_gateway.url, monthly=1.0)  # 20 one-segment texts at 0.05
    _queue(org, 16, Priority.NORMAL, "1001")
    _drain()
    assert budget.spent(org) == pytest.approx(0.80)
    assert Charge.objects.count() == 16
    warnings = Alert.objects.filter(kind=AlertKind.GATEWAY_WARNING)
    assert warnings.count() == 1  # the 80% warning
    assert list(BudgetNotice.objects.values_list("level", flat=True)) == [80]
    _drain()  # the warning's own text to the coordinator is charged too
    assert budget.spent(org) == pytest.approx(0.85)
    assert warnings.count() == 1  # once

    _queue(org, 2, Priority.NORMAL, "1002")
    _drain()
    assert warnings.count() == 1
    _queue(org, 1, Priority.BULK, "1003")
    _drain()
    assert budget.spent(org) == pytest.approx(1.0)
    assert warnings.count() == 2  # the cap notice, once
    assert budget.held_org_ids("http_json") == {org.pk}
    assert budget.held_org_ids("console") == set()  # a free channel is never held

    bulk = _queue(org, 2, Priority.BULK, "1004")
    normal = _queue(org, 2, Priority.NORMAL, "1005")
    urgent = _queue(org, 2, Priority.LIFE_SAFETY, "1006")
    _drain()

    def sent(point: Any) -> int:  # noqa: E306
        return Delivery.objects.filter(message__contact_point=point,
                                       handed_off_at__isnull=False).count()  # fmt: skip

    assert (sent(bulk), sent(normal), sent(urgent)) == (0, 0, 2)
    assert Delivery.objects.filter(message__contact_point__in=[bulk, normal],
                                   state=DeliveryState.QUEUED).count() == 4  # fmt: skip

    org.settings["monthly_budget"] = 10.0
    org.save(update_fields=["settings"])
    _drain()
    assert (sent(bulk), sent(normal)) == (2, 2)


def test_no_budget_means_nothing_is_held(world: Any, local_gateway: LocalGateway) -> None:
    org = _setup(world, local_gateway.url, monthly=0)
    _queue(org, 30, Priority.BULK, "2001")
    _drain()
    assert budget.share_spent(org) is None
    assert not BudgetNotice.objects.exists()
    assert Delivery.objects.filter(handed_off_at__isnull=False).count() == 30


def test_composer_preview_shows_the_cost_before_launch(world: Any, clients: Any) -> None:
    org = world.org
    org.settings |= {"monthly_budget": 100, "sms_channel": "http_json"}
    org.save(update_fields=["settings"])
    for i in range(4):
        person = Person.objects.create(org=org, codename=f"C{i}", language="en")
        add_contact_point(org=org, kind="sms", value=f"+96394477800{i}", persons=[person])
    response = clients["coordinator"].post("/rollcalls/", {
        "question": "Are you well?", "is_safety": "on", "everyone": "on", "minutes": 60,
        "resend_after": 20, "resend_max": 1, "action": "preview"})  # fmt: skip
    assert response.status_code == 200
    text = response.content.decode()
    # 4 recipients x 1 segment x 2 sends (one re-send) x 0.05 = 0.4
    assert "4 recipients: 4 messages × 1 segments × 2 sends ≈ 0.40 USD" in text
    assert 'id="rollcall-budget"' in text
    from salama.rollcalls.models import RollCall

    assert not RollCall.objects.exists()  # a preview launches nothing
