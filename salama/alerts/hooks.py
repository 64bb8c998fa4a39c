"""The points where alerts let higher apps act (docs/architecture.md, "Hooks")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from salama.lib.hooks import Gather, Hook

if TYPE_CHECKING:
    from salama.accounts.models import Membership
    from salama.alerts.models import Alert


def _alert_changed(*, alert: Alert, change: str) -> None:
    """`change`: "opened", "acknowledged" or "closed"; inside the transaction that made it."""


alert_changed = Hook("alerts.alert_changed", _alert_changed)


@dataclass(frozen=True)
class DutyItem:
    """One thing falling due that a higher app shows on the duty page ("Falling due").

    - `text`: already translated into the viewer's language; no name of a person, no free text
      written about one (only what the app's own board card would show);
    - `due`: a date (shown as it is) or an aware datetime (shown in the viewer's zone); the page
      isolates it left to right and names the zone, as it does every other time;
    - `overdue`: past due for the viewer (the provider compares with the `today` it was given);
    - `subject`: an optional short name (a party, a facility code), isolated on its own;
    - `url`: where to act on it; `key`: stable while the item is unchanged (it joins the duty
      page's version token, so the page's poll redraws when an item comes, goes or moves).
    """

    key: str
    text: str
    due: date | datetime
    overdue: bool
    subject: str = ""
    url: str = ""

    @property
    def has_time(self) -> bool:
        return isinstance(self.due, datetime)


def _duty_items(*, org_id: int, membership: Membership, today: date) -> list[DutyItem]:
    """The items of organisation `org_id` that `membership` (the viewer, of that organisation)
    may see; an empty list for a role that may not see the app's data. `today` is the viewer's
    date in their own time zone."""
    raise NotImplementedError


# What higher apps have falling due (negotiations: next steps due or overdue). The duty page
# gathers every provider's items and shows the overdue first, then by due time.
duty_items = Gather("alerts.duty_items", _duty_items)
