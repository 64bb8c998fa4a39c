"""Heightened mode on the API check-in path. The check-in writes the person's deadline in ONE
UPDATE that decides itself whether heightened mode applies (no separate lookup): these pin that
it decides as `heightened_applies` does (the person's area, the whole organisation, ended
modes), that a stale contact under heightened mode keeps the person overdue, and, on
PostgreSQL, that a mode a coordinator commits while the check-in waits for the person's lock
still shortens that check-in's deadline."""

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import Client

from salama.people.models import Person
from salama.safety import services
from salama.safety.periods import heightened_applies, next_due_for
from salama.safety.tokens import create_token
from tests.safety.conftest import T0

H = timedelta(hours=1)
PLAIN = T0 + 25 * H  # 24 h + 1 h grace
TIGHT = T0 + 7 * H  # heightened: 6 h + 1 h grace


def _checkin(token: str, **body: Any) -> Any:
    response = Client().post(
        "/api/checkins",
        json.dumps({"status": "SAFE", **body}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_IDEMPOTENCY_KEY=f"k-{time.monotonic_ns()}",
    )
    assert response.status_code == 201, response.content
    return response


@pytest.fixture
def token(world: Any, team: Any) -> str:
    return create_token(user=world.users["staff"], org=world.org, name="phone")


def _due(team: Any) -> Any:
    return Person.objects.get(pk=team.staff.pk).next_due_at


@pytest.mark.django_db
def test_no_mode_gives_the_plain_deadline(frozen: Any, team: Any, token: str) -> None:
    _checkin(token)
    assert _due(team) == PLAIN


@pytest.mark.django_db
def test_a_mode_on_the_persons_area_shortens_it(frozen: Any, team: Any, token: str) -> None:
    services.set_heightened(org=team.org, areas=[team.sukkari])
    _checkin(token)
    assert _due(team) == TIGHT
    assert heightened_applies(Person.objects.get(pk=team.staff.pk))


@pytest.mark.django_db
def test_a_mode_on_another_area_does_not(frozen: Any, team: Any, token: str) -> None:
    services.set_heightened(org=team.org, areas=[team.shaar])
    _checkin(token)
    assert _due(team) == PLAIN


@pytest.mark.django_db
def test_a_mode_on_the_whole_organisation_shortens_it(frozen: Any, team: Any, token: str) -> None:
    services.set_heightened(org=team.org)
    _checkin(token)
    assert _due(team) == TIGHT


@pytest.mark.django_db
def test_a_person_without_an_area_is_covered_only_by_a_whole_organisation_mode(
    frozen: Any, team: Any, token: str
) -> None:
    Person.objects.filter(pk=team.staff.pk).update(area=None)
    services.set_heightened(org=team.org, areas=[team.sukkari])
    _checkin(token)
    assert _due(team) == PLAIN
    services.set_heightened(org=team.org)
    frozen.shift(H)
    _checkin(token)
    assert _due(team) == TIGHT + H


@pytest.mark.django_db
def test_an_ended_or_expired_mode_does_not(frozen: Any, team: Any, token: str) -> None:
    mode = services.set_heightened(org=team.org, areas=[team.sukkari])
    services.end_heightened(mode=mode)
    _checkin(token)
    assert _due(team) == PLAIN
    services.set_heightened(org=team.org)
    frozen.shift(72 * H)  # expired, not yet ended by the worker
    _checkin(token)
    assert _due(team) == PLAIN + 72 * H


@pytest.mark.django_db
def test_a_stale_contact_under_heightened_mode_stays_overdue(
    frozen: Any, team: Any, token: str
) -> None:
    Person.objects.filter(pk=team.staff.pk).update(
        heard_at=T0 - 40 * H, next_due_at=T0 - 15 * H, is_overdue=True
    )
    services.set_heightened(org=team.org, areas=[team.sukkari])
    Person.objects.filter(pk=team.staff.pk).update(is_overdue=True)
    _checkin(token, device_at=(T0 - 10 * H).isoformat())
    person = Person.objects.get(pk=team.staff.pk)
    assert person.next_due_at == T0 - 3 * H and person.is_overdue
    assert person.next_due_at == next_due_for(person, T0 - 10 * H)


@pytest.mark.django_db
def test_a_stale_contact_without_heightened_mode_clears_overdue(
    frozen: Any, team: Any, token: str
) -> None:
    Person.objects.filter(pk=team.staff.pk).update(
        heard_at=T0 - 40 * H, next_due_at=T0 - 15 * H, is_overdue=True
    )
    _checkin(token, device_at=(T0 - 10 * H).isoformat())
    person = Person.objects.get(pk=team.staff.pk)
    assert person.next_due_at == T0 + 15 * H and not person.is_overdue


@pytest.mark.django_db
def test_a_period_no_longer_than_heightened_needs_no_lookup(
    frozen: Any, team: Any, token: str
) -> None:
    Person.objects.filter(pk=team.staff.pk).update(
        period={"interval_hours": 4, "grace_minutes": 60}
    )
    services.set_heightened(org=team.org)
    _checkin(token)
    assert _due(team) == T0 + 5 * H


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.postgres
def test_a_mode_committed_while_the_checkin_waits_for_the_person_still_counts(
    transactional_db: None, world: Any, team: Any
) -> None:
    """The coordinator's transaction holds the person's lock (set_heightened recomputes every
    deadline under it) while a check-in waits for that lock. A lookup read in the waiting
    statement's snapshot would miss the mode and give 24 hours; the check-in must give 6."""
    token = create_token(user=world.users["staff"], org=world.org, name="phone")
    holding = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def coordinator() -> None:
        try:
            with transaction.atomic():
                services.set_heightened(org=team.org, areas=[team.sukkari])
                holding.set()
                assert release.wait(timeout=30)
        except BaseException as exc:  # reported below
            errors.append(exc)
            holding.set()
        finally:
            connections.close_all()

    answers: list[Any] = []

    def phone() -> None:
        try:
            answers.append(_checkin(token))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    mode = threading.Thread(target=coordinator)
    mode.start()
    assert holding.wait(timeout=30)
    sender = threading.Thread(target=phone)
    sender.start()
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _waiting_on_a_lock(), "the check-in never waited for the person's lock"
    release.set()
    mode.join(timeout=30)
    sender.join(timeout=30)
    assert not errors, errors
    assert len(answers) == 1
    person = Person.objects.get(pk=team.staff.pk)
    heard = person.heard_at
    assert heard is not None
    assert person.next_due_at == heard + 7 * H
