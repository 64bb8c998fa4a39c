"""Roll calls: crediting by hand-off time, duress that looks ordinary, a roll call to many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction

from salama.accounts.models import Membership
from salama.alerts.models import Alert, AlertKind
from salama.lib import clock
from salama.messaging.inbound import receive
from salama.messaging.models import Delivery, Message
from salama.messaging.outbox import dispatch_outbox
from salama.people.models import Person
from salama.people.services import add_contact_point
from salama.rollcalls import duress, services
from salama.rollcalls.jobs import run_rollcalls
from salama.rollcalls.models import RollCall, RollCallRecipient, Timing
from salama.safety.models import CheckIn
from tests.messaging.text_helpers import NUMBERS, Roster, make_roster

pytestmark = pytest.mark.django_db
START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def roster(world: Any) -> Roster:
    return make_roster(world)


@pytest.fixture(autouse=True)
def _sink(settings: Any, tmp_path: Any) -> None:
    settings.OUTBOX_CONSOLE_SINK = str(tmp_path / "console.jsonl")


def _drain(traveller: Any) -> None:
    for _i in range(200):
        traveller.shift(timedelta(seconds=2))
        if not dispatch_outbox():
            return


def _open(org: Any, persons: list[Person], question: str = "Are you well?") -> RollCall:
    return services.open_roll_call(
        org=org,
        question=question,
        target=services.Target(persons=tuple(p.pk for p in persons)),
        deadline_at=clock.now() + timedelta(hours=1),
    )


def _row(roll_call: RollCall, person: Person) -> RollCallRecipient:
    return RollCallRecipient.objects.get(roll_call=roll_call, person=person)


def test_delayed_answer_from_an_earlier_roll_call_does_not_count(roster: Roster) -> None:
    org, k1 = roster.org, roster.k1
    with time_machine.travel(START, tick=False) as traveller:
        first = _open(org, [k1])
        _drain(traveller)
        sent_early = clock.now() + timedelta(seconds=30)  # answering the first roll call
        traveller.shift(timedelta(minutes=5))
        second = _open(org, [k1])
        _drain(traveller)
        traveller.shift(timedelta(minutes=1))
        # The SMSC time says it was sent before the second roll call reached the phone.
        receive(org=org, channel="http_json", sender=NUMBERS["k1"], body="1",
                gateway_ref="a", sent_at=sent_early)  # fmt: skip
        assert _row(second, k1).option is None
        assert _row(first, k1).superseded_at is not None
        assert CheckIn.objects.filter(person=k1).count() == 1  # an ordinary check-in
        # Sent after the hand-off: it counts for the second one.
        receive(org=org, channel="http_json", sender=NUMBERS["k1"], body="1",
                gateway_ref="b", sent_at=clock.now() - timedelta(seconds=5))  # fmt: skip
        row = _row(second, k1)
        assert (row.option, row.timing) == (1, Timing.COUNTED)


def test_answer_without_smsc_time_soon_after_handoff_is_timing_unknown(
    roster: Roster, world: Any
) -> None:
    """Two roll calls reached K1 within the day: a safe answer without an SMSC time just after
    the second's hand-off may answer either (with one roll call only, it counts:
    tests/rollcalls/test_counting.py)."""
    org, k1 = roster.org, roster.k1
    with time_machine.travel(START, tick=False) as traveller:
        _open(org, [k1])
        _drain(traveller)
        traveller.shift(timedelta(minutes=30))
        roll_call = _open(org, [k1])
        _drain(traveller)
        heard_before = Person.objects.get(pk=k1.pk).heard_at
        traveller.shift(timedelta(minutes=2))
        receive(org=org, channel="twilio", sender=NUMBERS["k1"], body="1", gateway_ref="c")
        row = _row(roll_call, k1)
        assert row.timing == Timing.UNKNOWN
        assert Person.objects.get(pk=k1.pk).heard_at == heard_before  # not heard from yet
        coordinator = Membership.objects.get(org=world.org, user=world.users["coordinator"])
        assert services.accept_answer(recipient=row, by=coordinator)
        assert _row(roll_call, k1).timing == Timing.ACCEPTED
        assert Person.objects.get(pk=k1.pk).heard_at is not None


def test_bare_digit_from_a_shared_phone_asks_for_codenames(roster: Roster) -> None:
    org = roster.org
    with time_machine.travel(START, tick=False) as traveller:
        roll_call = _open(org, [roster.k2])
        _drain(traveller)
        assert Message.objects.filter(reason=f"rollcall:{roll_call.number}").count() == 1
        traveller.shift(timedelta(minutes=1))
        receive(org=org, channel="http_json", sender=NUMBERS["ward"], body="1",
                gateway_ref="d", sent_at=clock.now())  # fmt: skip
        assert Message.objects.filter(template="reply_ask_codename").count() == 1
        receive(org=org, channel="http_json", sender=NUMBERS["ward"], body="1 K2",
                gateway_ref="e", sent_at=clock.now())  # fmt: skip
        assert _row(roll_call, roster.k2).timing == Timing.COUNTED


def _scenario(clients: Any, roster: Roster) -> dict[str, Any]:
    receive(org=roster.org, channel="http_json", sender=NUMBERS["k1"], body="tamam",
            gateway_ref="dur", sent_at=clock.now())  # fmt: skip
    replies = [
        (m.template, str(m.body), m.contact_point_id)
        for m in Message.objects.filter(contact_point=roster.points["k1"]).order_by("pk")
    ]
    out: dict[str, Any] = {"replies": replies}
    for role in ("lead", "staff", "observer", "liaison"):
        response = clients[role].get(f"/api/persons/{roster.k1.pk}")
        out[role] = (response.status_code, response.content)
    return out


class Rollback(Exception):
    pass


def test_duress_checkin_looks_like_a_normal_one(clients: Any, roster: Roster) -> None:
    with time_machine.travel(START, tick=False):
        try:
            with transaction.atomic():
                normal = _scenario(clients, roster)
                raise Rollback
        except Rollback:
            pass
        duress.agree_duress(person=roster.k1, word="tamam", plan="Call the lawyer")
        with pytest.raises(duress.RollCallError):
            duress.agree_duress(person=roster.k1, word="danger", plan="x")
        coerced = _scenario(clients, roster)
    assert coerced == normal
    alert = Alert.objects.get(kind=AlertKind.DURESS, person=roster.k1)
    assert alert.quiet_to_sender
    assert duress.plan_for(alert) == ("Call the lawyer", False)
    assert not Message.objects.filter(
        contact_point=roster.points["k1"], template__in=["reply_received", "alert_ack_seen"]
    ).exists()


def test_duress_word_used_recently_is_refused(roster: Roster) -> None:
    receive(org=roster.org, channel="http_json", sender=NUMBERS["k1"], body="tamam",
            gateway_ref="t1")  # fmt: skip
    with pytest.raises(duress.RollCallError):
        duress.agree_duress(person=roster.k1, word="Tamam", plan="x")


def test_roll_call_to_200_reaches_everyone_once_and_counts_every_answer_once(
    world: Any,
) -> None:
    org = world.org
    persons = [
        Person.objects.create(org=org, codename=f"R{i}", role="nurse", language="en")
        for i in range(200)
    ]
    own = persons[:180]
    for i, person in enumerate(own):
        add_contact_point(org=org, kind="sms", value=f"+9639441{i:05d}", persons=[person])
    shared = {}
    for n in range(4):
        group = persons[180 + n * 5 : 185 + n * 5]
        number = f"+9639442{n:05d}"
        add_contact_point(org=org, kind="sms", value=number, persons=group, is_shared=True)
        shared[number] = group
    with time_machine.travel(START, tick=False) as traveller:
        roll_call = services.open_roll_call(
            org=org, question="Are you well?", target=services.Target(everyone=True),
            deadline_at=clock.now() + timedelta(hours=1),
        )  # fmt: skip
        messages = Message.objects.filter(reason=f"rollcall:{roll_call.number}")
        assert messages.count() == 184
        _drain(traveller)
        deliveries = Delivery.objects.filter(message__in=messages)
        assert sorted(set(deliveries.values_list("handoffs", flat=True))) == [1]
        traveller.shift(timedelta(minutes=1))
        for i, _person in enumerate(own):
            for attempt in range(2):  # a gateway that posts each text twice
                receive(org=org, channel="http_json", sender=f"+9639441{i:05d}", body="1",
                        gateway_ref=f"o{i}", sent_at=clock.now())  # fmt: skip
                del attempt
        for n, (number, group) in enumerate(shared.items()):
            codes = " ".join(p.codename for p in group)
            receive(org=org, channel="http_json", sender=number, body=f"1 {codes}",
                    gateway_ref=f"s{n}", sent_at=clock.now())  # fmt: skip
        rows = RollCallRecipient.objects.filter(roll_call=roll_call)
        assert rows.filter(timing=Timing.COUNTED, option=1).count() == 200
        assert CheckIn.objects.filter(channel="roll_call").count() == 200
        traveller.shift(timedelta(hours=2))
        assert run_rollcalls()
        roll_call.refresh_from_db()
        assert roll_call.state == "closed"


def test_a_digit_from_a_coordinators_number_is_not_a_roll_call_answer(roster: Roster) -> None:
    row, result = receive(org=roster.org, channel="http_json", sender=NUMBERS["coordinator"],
                          body="1", gateway_ref="coord1")  # fmt: skip
    row.refresh_from_db()
    assert result is not None and row.state != "failed", row.last_error


def _next_day_of_outbox(roster: Roster) -> dict[str, Any]:
    """The duress scenario's observable traffic: replies, what non-coordinators see (pages and
    API), and every message queued in the next 24 hours to anyone but the coordinators (the duty
    coordinator and focal points are the only ones a duress check-in may tell)."""
    from salama.alerts.services import escalate_alerts
    from salama.alerts.sweep import sweep_overdue

    with time_machine.travel(START, tick=False) as traveller:
        receive(org=roster.org, channel="http_json", sender=NUMBERS["k1"], body="tamam",
                gateway_ref="dur", sent_at=clock.now())  # fmt: skip
        for _quarter in range(24 * 4):
            traveller.shift(timedelta(minutes=15))
            sweep_overdue()
            escalate_alerts()
            run_rollcalls()
            _drain(traveller)
        coordinating = Membership.objects.filter(role__in=["coordinator", "org_admin"])
        return {
            "traffic": sorted(
                (m.contact_point_id or 0, m.template, str(m.body))
                for m in Message.objects.exclude(contact_point__membership__in=coordinating)
            ),
            "handed_off": sorted(
                (d.message.contact_point_id or 0, d.state)
                for d in Delivery.objects.exclude(
                    message__contact_point__membership__in=coordinating
                ).select_related("message")
            ),
        }


def test_duress_gives_the_same_next_24_hours_of_outbox_to_everyone_but_coordinators(
    roster: Roster,
) -> None:
    try:
        with transaction.atomic():
            normal = _next_day_of_outbox(roster)
            raise Rollback
    except Rollback:
        pass
    duress.agree_duress(person=roster.k1, word="tamam", plan="Call the lawyer")
    coerced = _next_day_of_outbox(roster)
    assert Alert.objects.filter(kind=AlertKind.DURESS, person=roster.k1).exists()
    assert normal["traffic"], "the scenario sends nothing: it would prove nothing"
    assert coerced == normal
