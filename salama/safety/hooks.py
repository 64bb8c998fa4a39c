"""What the safety rules and pages must know from the floors above them (alerts), asked through
functions those floors register from their `ready()`: safety imports none of them.

A *call for help* is a person's own NEED_HELP or INJURED life-safety alert. While one is open
(not closed), a SAFE that is stale, re-timed or second-hand does not clear it (DESIGN §5).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from salama.people.models import Person


@dataclass(frozen=True)
class CallForHelp:
    number: int
    opened_at: datetime
    seen_at: datetime | None  # first acknowledged (closing acknowledges too)
    is_closed: bool


CallFinder = Callable[[Person], CallForHelp | None]
_finders: dict[str, CallFinder] = {}


def provide(*, open_call: CallFinder, latest_call: CallFinder) -> None:
    """Called by the alerts app: how to find a person's open call for help (the earliest not
    closed) and their latest one (open or not)."""
    _finders["open"], _finders["latest"] = open_call, latest_call


def open_call_for_help(person: Person) -> CallForHelp | None:
    finder = _finders.get("open")
    return finder(person) if finder is not None else None


def latest_call_for_help(person: Person) -> CallForHelp | None:
    finder = _finders.get("latest")
    return finder(person) if finder is not None else None
