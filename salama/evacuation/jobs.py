"""Evacuation's worker jobs (registered from EvacuationConfig.ready()).

`watch_movements`: silence is expected in transit; past a movement's expected arrival plus its
margin, each evacuee not yet arrived moves to "missing" and is a life-safety alert, routed as any
other (salama.alerts). `refresh_priorities`: days waiting and heightened areas change the score."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from salama.accounts.models import Organisation
from salama.alerts.models import AlertKind
from salama.alerts.raising import raise_life_safety
from salama.evacuation.journey import move_journey
from salama.evacuation.models import Channel, JourneyState, Movement, MovementStatus, Request, Seat
from salama.evacuation.requests import refresh_scores
from salama.lib import clock


def _due_movements() -> list[Movement]:
    now = clock.now()
    due: list[Movement] = []
    for org in Organisation.objects.filter(is_active=True):
        rows = Movement.objects.for_org(org).filter(
            status=MovementStatus.UNDER_WAY, silence_checked=False, expected_arrival_at__lte=now
        )
        due += [
            m
            for m in rows[:50]
            if m.expected_arrival_at + timedelta(minutes=m.margin_minutes) <= now
        ]
    return due


def watch_movements() -> bool:
    did = False
    for movement in _due_movements():
        with transaction.atomic():
            locked = (
                Movement.objects.for_org(movement.org)
                .select_for_update()
                .filter(pk=movement.pk, silence_checked=False, status=MovementStatus.UNDER_WAY)
                .first()
            )
            if locked is None:
                continue
            for seat in (
                Seat.objects.for_org(movement.org)
                .filter(movement=locked, is_active=True, request__journey=JourneyState.DEPARTED)
                .select_related("request__person")
            ):
                request = seat.request
                move_journey(
                    request=request,
                    to=JourneyState.MISSING,
                    channel=Channel.SYSTEM,
                    movement=locked,
                )
                # Quiet to the evacuee: a phone in transit gets nothing.
                raise_life_safety(
                    org=movement.org,
                    kind=AlertKind.EVACUEE_SILENT,
                    person=request.person,
                    quiet_to_sender=True,
                )
            Movement.objects.for_org(movement.org).filter(pk=locked.pk).update(silence_checked=True)
            did = True
    return did


_LAST: dict[int, float] = {}


def refresh_priorities() -> bool:
    """At most once a minute per organisation; each pass rescores up to 1,000 stale requests."""
    now = clock.now().timestamp()
    did = False
    for org in Organisation.objects.filter(is_active=True):
        if now - _LAST.get(org.pk, 0) < 60:
            continue
        _LAST[org.pk] = now
        if not Request.objects.for_org(org).filter(outcome="").exists():
            continue
        did = refresh_scores(org) > 0 or did
    return did


__all__ = ["refresh_priorities", "watch_movements"]
