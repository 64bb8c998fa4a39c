"""The organisation's data-protection settings (in Organisation.settings) and their defaults.
Short by default: keep as little as needed, for as short as needed."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Organisation


@dataclass(frozen=True)
class Setting:
    key: str
    default: int
    label: Any  # a lazy translation
    help: Any
    minimum: int = 1
    maximum: int = 3650


SETTINGS = (
    Setting(
        "retention_exact_location_hours",
        72,
        _("Exact locations of people (hours)"),
        _("After this, a person's exact location is erased; their area stays."),
        maximum=24 * 365,
    ),
    Setting(
        "retention_inbound_days",
        30,
        _("Raw inbound messages (days)"),
        _("After this, the text of a received message is erased; the check-in it made stays."),
    ),
    Setting(
        "retention_checkin_note_days",
        90,
        _("Check-in notes (days)"),
        _(
            "After this, the note and the relayed source of a check-in are erased; its status, "
            "time and area stay."
        ),
    ),
    Setting(
        "retention_evidence_days",
        3650,
        _("Evidence ledger disclosures (days)"),
        _(
            "After this, a ledger record's key and disclosures are destroyed; its signed "
            "commitments stay and the ledger still verifies."
        ),
    ),
    Setting(
        "reveal_watch_limit",
        10,
        _("Reveals per user per hour before the other coordinators are alerted"),
        _("More reveals than this by one user within an hour raise an alert."),
        maximum=1000,
    ),
)
BY_KEY = {s.key: s for s in SETTINGS}


def value(org: Organisation, key: str) -> int:
    """The organisation's value, or the default when it is unset or not a usable number."""
    spec = BY_KEY[key]
    raw = org.setting(key, spec.default)
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return spec.default
    return number if spec.minimum <= number <= spec.maximum else spec.default
