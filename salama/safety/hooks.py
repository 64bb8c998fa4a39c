"""The points where safety lets higher apps act, and what its rules and pages must know from
the floors above it (alerts) — asked through hooks those floors register from their `ready()`:
safety imports none of them (salama.lib.hooks; docs/architecture.md).

Each is called inside the transaction of the check-in or decision that causes it, so what a
receiver writes (alerts, the outbox) commits or rolls back with its cause.

A *call for help* is a person's own NEED_HELP or INJURED life-safety alert. While one is open
(not closed), a SAFE that is stale, re-timed or second-hand does not clear it (DESIGN §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest

from salama.accounts.models import Membership
from salama.lib.hooks import Gather, Hook, Provider
from salama.people.models import Person
from salama.safety.models import CheckIn


@dataclass(frozen=True)
class CallForHelp:
    number: int
    opened_at: datetime
    seen_at: datetime | None  # first acknowledged (closing acknowledges too)
    is_closed: bool


@dataclass(frozen=True)
class AlertCounts:
    """Open (not closed) life-safety alerts of an organisation, and how many of them nobody
    has acknowledged yet (unowned)."""

    open: int
    unowned: int


def _alert_counts(*, org_id: int) -> AlertCounts:
    raise NotImplementedError


@dataclass
class BoardCard:
    """A card a higher app adds to the accountability board (evacuation: counts by state):
    its own template and context. `version` joins the board's version token, so the board's
    poll redraws when the card's numbers change."""

    template: str
    context: dict[str, Any]
    version: str = ""
    order: int = 100


def _board_cards(*, org_id: int) -> BoardCard | None:
    raise NotImplementedError


def _checkin_recorded(*, checkin: CheckIn, person: Person) -> None: ...


def _decision_made(
    *, person: Person, kind: str, by: Membership | None, request: HttpRequest | None
) -> None: ...


def _person_lock_annotations() -> dict[str, Any]:
    raise NotImplementedError


def _call_for_help(person: Person) -> CallForHelp | None:
    raise NotImplementedError


# A check-in was stored and the person's state written: alerts opens or closes what follows.
checkin_recorded = Hook("safety.checkin_recorded", _checkin_recorded)
# A coordinator recorded a decision: a DETAINED or MISSING person's logins end (alerts).
decision_made = Hook("safety.decision_made", _decision_made)
# What the query that locks a person before a check-in annotates, for the check-in's receivers
# to read without a second query (alerts: `has_open_escalation`). Part of the one statement.
person_lock_annotations = Provider("safety.person_lock_annotations", _person_lock_annotations)
# The person's earliest call for help not yet closed, and their latest one (open or not).
open_call = Provider("safety.open_call_for_help", _call_for_help)
latest_call = Provider("safety.latest_call_for_help", _call_for_help)


def open_call_for_help(person: Person) -> CallForHelp | None:
    return open_call(person)


def latest_call_for_help(person: Person) -> CallForHelp | None:
    return latest_call(person)


# The organisation's open life-safety alerts (the banner on the board and coordinator pages; the
# board's version token includes them, so its poll redraws when one opens or is acknowledged).
alert_counts = Provider("safety.alert_counts", _alert_counts)
# Cards below the board's counts (evacuation: requests and journeys by state).
board_cards = Gather("safety.board_cards", _board_cards)
