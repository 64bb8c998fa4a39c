"""On PostgreSQL, two coordinators at the same moment (issue 27, "Done when"): assigning the
last seat, or the same person to two movements — one succeeds, the other gets the clear
refusal, and nothing is overfilled. The first coordinator's transaction holds its locks until
the second is seen waiting for them, so the race is real, not a matter of luck."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from salama.evacuation import services
from salama.evacuation.models import Movement, Request, Seat
from tests.evacuation.helpers import movement, ready, request_for

pytestmark = pytest.mark.postgres


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        return bool(cursor.fetchone()[0])


def race(first: dict[str, Any], second: dict[str, Any], by: Any) -> list[str]:
    """Run two assignments: the first holds its transaction open until the second waits on a
    lock. Returns what each did: "ok" or the refusal's text."""
    results: dict[str, str] = {}
    holding, release = threading.Event(), threading.Event()

    def one(name: str, args: dict[str, Any], hold: bool) -> None:
        try:
            with transaction.atomic():
                req = Request.objects.get(pk=args["request"])
                mov = Movement.objects.get(pk=args["movement"])
                try:
                    services.assign(request=req, movement=mov, by=by)
                    results[name] = "ok"
                except services.EvacuationError as error:
                    results[name] = " ".join(error.messages)
                if hold:
                    holding.set()
                    assert release.wait(timeout=30)
        except BaseException as exc:  # reported below
            results[name] = f"crash: {exc!r}"
            holding.set()
        finally:
            connections.close_all()

    a = threading.Thread(target=one, args=("a", first, True))
    a.start()
    assert holding.wait(timeout=30)
    b = threading.Thread(target=one, args=("b", second, False))
    b.start()
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    waited = _waiting_on_a_lock()
    release.set()
    a.join(timeout=30)
    b.join(timeout=30)
    assert waited, "the second coordinator never waited for the first one's lock"
    return [results["a"], results["b"]]


def test_two_coordinators_assigning_the_last_seat(
    transactional_db: None, world: Any, roster: Any, by: Any, crossing: Any
) -> None:
    mov = movement(world.org, by, vehicles=((1, 0),))
    k1 = ready(request_for(roster.k1), by, [crossing])
    k3 = ready(request_for(roster.k3), by, [crossing])
    a, b = race({"request": k1.pk, "movement": mov.pk}, {"request": k3.pk, "movement": mov.pk}, by)
    assert a == "ok"
    assert "No room for K3" in b and "Add a vehicle" in b
    assert Seat.objects.filter(movement=mov, is_active=True).count() == 1
    assert Request.objects.get(pk=k3.pk).journey == "approved"


def test_two_coordinators_putting_the_same_person_on_two_movements(
    transactional_db: None, world: Any, roster: Any, by: Any, crossing: Any
) -> None:
    first, second = movement(world.org, by), movement(world.org, by)
    k1 = ready(request_for(roster.k1), by, [crossing])
    a, b = race(
        {"request": k1.pk, "movement": first.pk}, {"request": k1.pk, "movement": second.pk}, by
    )
    assert a == "ok"
    assert f"K1 is already on movement {first.code}" in b
    assert list(
        Seat.objects.filter(request=k1, is_active=True).values_list("movement", flat=True)
    ) == [first.pk]
