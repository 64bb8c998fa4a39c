"""The sweep does set-based work: one tick costs a fixed number of statements whatever the number
of people who fell due (query counts, never timings)."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from salama.alerts import sweep
from salama.alerts.models import Escalation
from salama.people.models import Area, Person
from tests.alerts.conftest import T0

pytestmark = pytest.mark.django_db

# One tick in which people fell due: the flip, their escalations, the outage check and the
# digests or outage texts to the roster's leads and the coordinator on duty (their texts
# included); and the tick one digest window later, when their reminders are due.
MAX_TICK = 110


def fall_due(world: Any, roster: Any, n: int) -> list[Person]:
    area = Area.objects.create(org=world.org, name_en="Bustan", name_ar="بستان")
    return Person.objects.bulk_create(
        Person(
            org=world.org,
            codename=f"B{i:03d}",
            role="nurse",
            team=roster.teams["north"],
            area=area,
            heard_at=T0 - timedelta(hours=30),
            next_due_at=T0 - timedelta(minutes=1),
        )
        for i in range(n)
    )


def statements_of_two_ticks(world: Any, roster: Any, frozen: Any, n: int) -> tuple[list[int], int]:
    """The statements of the tick in which n people fell due at once and of the tick of their
    reminders, and how many were reminded; rolled back afterwards."""
    with transaction.atomic():
        people = fall_due(world, roster, n)
        with CaptureQueriesContext(connection) as fell_due:
            assert sweep.sweep_overdue()
        frozen.shift(sweep.window())
        with CaptureQueriesContext(connection) as reminders_due:
            sweep.sweep_overdue()
        assert Person.objects.filter(pk__in=[p.pk for p in people], is_overdue=True).count() == n
        escalations = Escalation.objects.filter(person__in=people, closed_at=None)
        assert escalations.count() == n
        reminded = escalations.filter(reminded_at__isnull=False).count()
        transaction.set_rollback(True)
    frozen.move_to(T0)
    return [len(fell_due.captured_queries), len(reminders_due.captured_queries)], reminded


@pytest.mark.parametrize("outage", [True, False], ids=["outage", "reminders"])
def test_a_tick_costs_the_same_statements_for_20_or_200_due(
    world: Any, roster: Any, rota: Any, frozen: Any, outage: bool
) -> None:
    if not outage:  # the whole area silent would open an outage and hold the reminders
        world.org.settings["outage_min_people"] = 10_000
        world.org.save(update_fields=["settings"])
    few, reminded = statements_of_two_ticks(world, roster, frozen, 20)
    assert reminded == (0 if outage else 20)
    many, reminded = statements_of_two_ticks(world, roster, frozen, 200)
    assert reminded == (0 if outage else 200)
    # Django splits a bulk INSERT on SQLite into batches of 999 parameters (111 escalations).
    assert many[0] <= few[0] + (1 if connection.vendor == "sqlite" else 0)
    assert many[1] <= few[1]
    assert max(many) <= MAX_TICK


def test_a_quiet_tick_is_a_few_statements(world: Any, roster: Any, rota: Any, frozen: Any) -> None:
    fall_due(world, roster, 200)
    sweep.sweep_overdue()
    frozen.shift(timedelta(seconds=30))
    with CaptureQueriesContext(connection) as queries:
        sweep.sweep_overdue()
    assert len(queries) <= 15
