"""The points where messaging lets higher apps act (salama.lib.hooks; docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable

from salama.accounts.models import Organisation
from salama.lib.hooks import Gather, Provider
from salama.messaging.models import InboundMessage
from salama.people.models import ContactPoint, Person
from salama.safety.models import CheckIn


def _gateway_warning(
    *, org: Organisation, template: str, avoid_channels: tuple[str, ...], priority: int
) -> int:
    raise NotImplementedError


# Open a routine gateway warning for the coordinators on duty, through channels other than
# `avoid_channels` (the failing gateway), and return the alert's id. Called by the budget (80%
# and 100% of the month) and the gateway watchdog inside their transaction. Provided by alerts.
gateway_warning = Provider("messaging.gateway_warning", _gateway_warning)


# --- What alerts does for a text (salama.alerts.texting provides each) ---------------------------


def _unknown_sender_help(*, inbound: InboundMessage, point: ContactPoint | None) -> int:
    raise NotImplementedError


def _contact_ignored(
    *,
    org: Organisation,
    person: Person | None,
    point: ContactPoint,
    compromised: bool,
    checkin: CheckIn | None,
) -> int:
    raise NotImplementedError


def _unattributed_danger(
    *,
    inbound: InboundMessage,
    status: str,
    point: ContactPoint,
    persons: list[Person],
    replies: bool,
) -> int:
    raise NotImplementedError


def _checkin_alert(*, checkin: CheckIn, person: Person, status: str) -> int | None:
    raise NotImplementedError


# A help or injury word from an unknown number: one open life-safety alert per number, to the
# coordinators, linked to the text; its number.
unknown_sender_help = Provider("messaging.unknown_sender_help", _unknown_sender_help)
# A text from a compromised number or a silenced person's phone: the life-safety alert the
# contact raised (`checkin`, if one was kept) or a new one to the coordinators; its number.
contact_ignored = Provider("messaging.contact_ignored", _contact_ignored)
# Help from a shared phone that names nobody: the open alert for that phone, told again, or a
# new one to the coordinators, the phone's teams' leads and their areas' responders; its number.
unattributed_danger = Provider("messaging.unattributed_danger", _unattributed_danger)
# The number of the alert a check-in raised, or of the open one it joined (a second HELP).
checkin_alert = Provider("messaging.checkin_alert", _checkin_alert)


def _alert_is_open(*, org: Organisation, alert_id: int | None) -> bool:
    raise NotImplementedError


def _code_locked(
    *, org: Organisation, person: Person | None, inbound: InboundMessage, by: str, failures: int
) -> int:
    raise NotImplementedError


# Whether the alert `alert_id` (None: no alert) is still open.
alert_is_open = Provider("messaging.alert_is_open", _alert_is_open)
# Personal codes were tried too often from a number or for a person (`by`: "person" or
# "number"): a routine alert to the coordinators on duty, audited with ids; its id.
code_locked = Provider("messaging.code_locked", _code_locked)


def _sender_person_columns(*, quote: Callable[[str], str]) -> tuple[str, str]:
    raise NotImplementedError


# What the ONE statement that reads a text's sender and their persons (salama.messaging.handler)
# also reads for each person: (attribute, the SQL of one value, which may name the person's row
# as `p`; `quote` quotes a table's name), set as that attribute on each person read. rollcalls:
# the keyed hash of the person's duress word (no statement of its own for every SAFE text).
sender_person_columns = Gather("messaging.sender_person_columns", _sender_person_columns)
