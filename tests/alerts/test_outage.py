"""After a possible outage the silent are chased again: the hold ends in one digest that counts
everyone overdue and in reminders; an unacknowledged outage alert climbs the rota; the leads of
the people gone silent are told; staggered deadlines make one outage, not a burst of reminders."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from salama.alerts import services, sweep
from salama.alerts.models import Alert, AlertKind, OutageWindow
from salama.lib import clock
from salama.messaging import texts
from salama.messaging.models import Message, Priority
from salama.people.models import ContactPoint, Person
from salama.people.services import add_contact_point
from salama.safety.services import make_decision
from tests.alerts.conftest import T0, bodies
from tests.alerts.privacy import assert_clean
from tests.alerts.test_sweep import crowd
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def give_phones(world: Any, people: list[Person]) -> None:
    for i, person in enumerate(people):
        add_contact_point(org=world.org, kind="sms", value=f"+9639445{i:05d}", persons=[person])


def fall_silent(people: list[Person], at: datetime) -> None:
    Person.objects.filter(pk__in=[p.pk for p in people]).update(next_due_at=at)


def tick(frozen: Any, step: timedelta, times: int, *, escalate: bool = False) -> None:
    for _ in range(times):
        frozen.shift(step)
        sweep.sweep_overdue()
        if escalate:
            services.escalate_alerts()


def to(point: ContactPoint, template: str, since: datetime | None = None) -> list[Message]:
    found = Message.objects.filter(contact_point=point, template=template).order_by("pk")
    return list(found if since is None else found.filter(created_at__gte=since))


def says(message: Message, count: int) -> bool:
    expected = texts.render(message.org, message.template, message.language, {"count": count})
    return str(message.body) == expected


def reminders_to(people: list[Person]) -> list[Message]:
    return list(
        Message.objects.filter(template="reminder", contact_point__persons__in=people).order_by(
            "created_at", "pk"
        )
    )


def test_when_the_hold_ends_the_silent_get_one_digest_counting_everyone_and_reminders(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    _area, people = crowd(world, roster, n=20)
    silent = people[:8]
    give_phones(world, silent)
    fall_silent(silent, T0 - timedelta(minutes=1))
    sweep.sweep_overdue()
    outage = OutageWindow.objects.get(alert__kind=AlertKind.POSSIBLE_OUTAGE)
    # During the hold K21 (another area) falls silent: the digest counts all nine overdue.
    fall_silent([roster.persons["K21"]], T0 + timedelta(minutes=10))
    tick(frozen, timedelta(minutes=1), 119)
    assert clock.now() < outage.until
    assert not reminders_to(silent)
    coordinator = roster.coordinator_phone
    assert [m.template for m in Message.objects.filter(contact_point=coordinator)] == [
        "outage",
        "digest_overdue",
    ]
    assert says(to(coordinator, "digest_overdue")[0], 9)
    # The hold ends: the eight are chased again, each reminded once, in one digest per recipient.
    tick(frozen, timedelta(minutes=1), 30)
    assert [r.contact_point.persons.get() for r in reminders_to(silent)] == silent
    assert all(r.created_at >= outage.until for r in reminders_to(silent))
    after = to(coordinator, "digest_overdue", since=outage.until)
    assert len(after) == 1 and says(after[0], 9)
    lead_phone = roster.persons["K10"].contact_points.get()
    after = to(lead_phone, "digest_overdue", since=outage.until)
    assert len(after) == 1 and says(after[0], 8)


def test_the_duty_page_says_when_the_hold_is_over(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    _area, people = crowd(world, roster, n=20)
    fall_silent(people[:8], T0 - timedelta(minutes=1))
    sweep.sweep_overdue()
    page = client_for(world.users["coordinator"]).get("/alerts/").content.decode()
    assert "Per-person escalation waits here" in page and "The hold is over" not in page
    frozen.move_to(OutageWindow.objects.get().until)
    page = client_for(world.users["coordinator"]).get("/alerts/").content.decode()
    assert "The hold is over" in page and "Per-person escalation waits here" not in page


def test_an_unacknowledged_outage_alert_climbs_the_rota_until_someone_owns_it(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    _area, people = crowd(world, roster, n=20)
    fall_silent(people[:8], T0 - timedelta(minutes=1))
    sweep.sweep_overdue()
    alert = Alert.objects.get(kind=AlertKind.POSSIBLE_OUTAGE)
    assert [m.template for m in to(roster.coordinator_phone, "outage")] == ["outage"]
    tick(frozen, timedelta(minutes=1), 9, escalate=True)
    assert not to(rota.coordinator2_phone, "outage")
    tick(frozen, timedelta(minutes=1), 1, escalate=True)
    step1 = to(rota.coordinator2_phone, "outage")
    assert len(step1) == 1 and says(step1[0], 8)
    assert step1[0].priority == Priority.LIFE_SAFETY
    assert services.acknowledge(alert=alert, by=rota.coordinator2)
    before = Message.objects.filter(template="outage").count()
    tick(frozen, timedelta(minutes=1), 40, escalate=True)
    assert Message.objects.filter(template="outage").count() == before


def test_the_reachable_leads_of_the_people_gone_silent_are_told_of_the_outage(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    _area, people = crowd(world, roster, n=20)
    south = people[:3]
    Person.objects.filter(pk__in=[p.pk for p in south]).update(team=roster.teams["south"])
    make_decision(  # the North deputy: detained, so not reachable
        person=roster.persons["K11"], kind="DETAINED", certainty="reported", made_by=None,
        source="a colleague's call", reason="taken at the checkpoint",
    )  # fmt: skip
    fall_silent(people[:8], T0 - timedelta(minutes=1))
    sweep.sweep_overdue()
    assert Alert.objects.filter(kind=AlertKind.POSSIBLE_OUTAGE).count() == 1
    north_lead = roster.persons["K10"].contact_points.get()
    south_lead = roster.persons["K20"].contact_points.get()
    told = to(north_lead, "outage_lead")
    assert len(told) == 1 and says(told[0], 5)
    told = to(south_lead, "outage_lead")
    assert len(told) == 1 and says(told[0], 3)
    # One routine text per window: the outage took the place of the digest.
    assert Message.objects.filter(contact_point=north_lead).count() == 1
    assert not Message.objects.filter(contact_point__persons=roster.persons["K11"])
    tick(frozen, timedelta(minutes=1), 30)
    assert len(to(north_lead, "outage_lead")) == 1
    assert_clean(world, roster, bodies(world.org))


def test_staggered_deadlines_make_one_outage_and_no_burst_of_reminders_before_it(
    world: Any, roster: Any, rota: Any, frozen: Any
) -> None:
    _area, people = crowd(world, roster, n=100)
    staggered = people[:60]
    give_phones(world, staggered)
    for i, person in enumerate(staggered):
        person.next_due_at = T0 + timedelta(seconds=1 + i * 2)  # over two minutes
    Person.objects.bulk_update(staggered, ["next_due_at"])
    tick(frozen, timedelta(seconds=1), 180)
    tick(frozen, timedelta(minutes=1), 10)
    alert = Alert.objects.get(kind=AlertKind.POSSIBLE_OUTAGE)
    assert alert.silent_count == 60
    assert not reminders_to(staggered), "reminders went out one by one before the outage alert"
