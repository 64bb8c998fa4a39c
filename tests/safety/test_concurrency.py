"""Two processes on separate PostgreSQL connections record check-ins for one person at the same
moment, 100 rounds; the person's state must end as the check-in with the greatest effective time
(of those not held beside an open call for help) and next_due_at must follow from the greatest
heard-from time."""

import multiprocessing
import random
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections

from salama.lib import clock
from salama.people.models import Person
from salama.safety.models import CheckIn
from salama.safety.periods import next_due_for

pytestmark = [pytest.mark.postgres]

ROUNDS = 100


def _worker(seed: int, person_id: int, barrier: Any, errors: Any) -> None:
    # A forked child: its own connection to the same test database (settings are inherited).
    connections.close_all()
    from salama.safety.services import record_checkin

    rng = random.Random(seed)
    person = Person.objects.get(pk=person_id)
    start = clock.now() - timedelta(hours=48)
    try:
        for i in range(ROUNDS):
            # Mostly newer than anything so far (so the race decides), sometimes a late one.
            late = rng.random() < 0.3
            minutes = rng.randint(0, i) if late else i * 10
            barrier.wait(timeout=30)
            record_checkin(
                person=person,
                status=rng.choice(["SAFE", "NEED_HELP", "INJURED"]),
                basis=rng.choice(["self", "proxy_seen", "relayed"]),
                channel="api",
                device_at=start + timedelta(minutes=minutes, seconds=rng.randint(0, 59)),
            )
            barrier.wait(timeout=30)
            if seed == 1:
                _check_round(person_id, i, errors)
            barrier.wait(timeout=30)
    except Exception as exc:  # reported to the parent, which fails the test
        errors.put(repr(exc))
    finally:
        connections.close_all()


def _check_round(person_id: int, i: int, errors: Any) -> None:
    person = Person.objects.get(pk=person_id)
    applied = CheckIn.objects.filter(person_id=person_id, is_held=False)  # held: a call is open
    latest = applied.order_by("-effective_at", "-id").first()
    if latest is None or person.state_checkin_id != latest.pk:
        errors.put(f"round {i}: state is not the greatest effective time")


def test_concurrent_checkins_keep_the_greatest_effective_time(
    transactional_db: None, world: Any
) -> None:
    person = Person.objects.create(org=world.org, codename="K1", role="nurse")
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    errors = context.Queue()
    workers = [
        context.Process(target=_worker, args=(seed, person.pk, barrier, errors)) for seed in (1, 2)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
    assert all(w.exitcode == 0 for w in workers)
    assert errors.empty(), errors.get()

    assert CheckIn.objects.filter(person_id=person.pk).count() == 2 * ROUNDS
    applied = CheckIn.objects.filter(person_id=person.pk, is_held=False)
    latest = applied.order_by("-effective_at", "-id").first()
    heard = (
        CheckIn.objects.filter(person_id=person.pk, counts_as_heard=True)
        .order_by("-effective_at")
        .first()
    )
    person.refresh_from_db()
    assert latest is not None and heard is not None
    assert person.state_checkin_id == latest.pk
    assert person.state == latest.status and person.state_at == latest.effective_at
    assert person.heard_at == heard.effective_at
    assert person.next_due_at == next_due_for(person, heard.effective_at)
