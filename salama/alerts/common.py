"""What every part of alerts shares: the error its actions raise, the kinds that go to the
coordinators only, the status a kind stands for and how bad a report is, the words and decisions
that matter to an acknowledgement, and the ladder's pace (how long between steps, how many
steps). Kept apart so raising, the ladder and handling import it without a cycle."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError

from salama.accounts.models import Organisation
from salama.alerts.models import AlertKind
from salama.people.models import DecisionKind, Status

# Kinds that go to the coordinators only: the phone may be in other hands.
COORDINATORS_ONLY = frozenset(
    {
        AlertKind.COMPROMISED_CONTACT,
        AlertKind.CONTACT_SINCE_DECISION,
        AlertKind.UNKNOWN_SENDER_HELP,
        AlertKind.DURESS,
    }
)
STATUS_OF_KIND = {AlertKind.NEED_HELP: Status.NEED_HELP, AlertKind.INJURED: Status.INJURED}
# How bad a report is: an alert's word follows the worst one while it is open.
RANK: dict[str, int] = {Status.SAFE: 0, Status.NEED_HELP: 1, Status.INJURED: 2}
DURESS_WORD = "DURESS"  # the key of the organisation's neutral word (texts.STATUS_KEYS)
ACK_BLOCKING_DECISIONS = (DecisionKind.DETAINED, DecisionKind.MISSING, DecisionKind.KILLED)


class AlertError(ValidationError):
    pass


def escalate_after() -> timedelta:
    return timedelta(seconds=settings.ALERT_ESCALATE_AFTER)


def max_step(org: Organisation) -> int:
    return 2 + int(org.setting("alert_repeats", 2))
