"""The points where safety lets higher apps act (salama.lib.hooks; docs/architecture.md).

Each is called inside the transaction of the check-in or decision that causes it, so what a
receiver writes (alerts, the outbox) commits or rolls back with its cause."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from salama.accounts.models import Membership
from salama.lib.hooks import Hook, Provider
from salama.people.models import Person
from salama.safety.models import CheckIn


def _checkin_recorded(*, checkin: CheckIn, person: Person) -> None: ...


def _decision_made(
    *, person: Person, kind: str, by: Membership | None, request: HttpRequest | None
) -> None: ...


def _person_lock_annotations() -> dict[str, Any]:
    raise NotImplementedError


# A check-in was stored and the person's state written: alerts opens or closes what follows.
checkin_recorded = Hook("safety.checkin_recorded", _checkin_recorded)
# A coordinator recorded a decision: a DETAINED or MISSING person's logins end (alerts).
decision_made = Hook("safety.decision_made", _decision_made)
# What the query that locks a person before a check-in annotates, for the check-in's receivers
# to read without a second query (alerts: `has_open_escalation`). Part of the one statement.
person_lock_annotations = Provider("safety.person_lock_annotations", _person_lock_annotations)
