"""What negotiations adds to lower apps' pages through their hooks: the person's disclosure
register on their page (people.person_panels, coordinators and liaisons), the next steps falling
due on the coordinator's board (safety.board_cards) and on the duty page (alerts.duty_items,
coordinators and liaisons)."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from salama.accounts.models import Membership
from salama.alerts.hooks import DutyItem
from salama.lib.names import local_name
from salama.negotiations import selectors
from salama.negotiations.base import NEGOTIATORS
from salama.people.hooks import Panel
from salama.people.models import Person
from salama.safety.hooks import BoardCard


def person_panel(*, request: HttpRequest, person: Person, bound: dict[str, object]) -> Panel | None:
    membership = getattr(request, "membership", None)
    if membership is None or membership.role not in NEGOTIATORS:
        return None
    rows = list(selectors.register(person)[:50])
    return Panel("negotiations/_person_panel.html", {"disclosures": rows}, order=65)


def board_card(*, org_id: int) -> BoardCard | None:
    due = list(selectors.due_next_steps(org_id)[:10])
    if not due:
        return None
    version = ",".join(f"{i.pk}:{i.next_due}" for i in due)
    return BoardCard("negotiations/_board_card.html", {"due": due}, version=version, order=55)


def duty_items(*, org_id: int, membership: Membership, today: date) -> list[DutyItem]:
    """Open next steps due within two days of the viewer's `today`, or overdue: what the board
    card shows (the party and the date), never the step's words or who took part."""
    if membership.org_id != org_id or membership.role not in NEGOTIATORS:
        return []
    url = reverse("negotiations:interactions")
    items = []
    for row in selectors.due_next_steps(org_id, today=today)[:20]:
        if row.next_due is None:  # the selector keeps only steps with a due date
            continue
        items.append(
            DutyItem(
                key=f"negotiations.next_step:{row.pk}:{row.next_due.isoformat()}",
                text=_("Negotiations: next step"),
                due=row.next_due,
                overdue=row.next_due < today,
                subject=local_name(row.party),
                url=url,
            )
        )
    return items
