"""What negotiations adds to lower apps' pages through their hooks: the person's disclosure
register on their page (people.person_panels, coordinators and liaisons), the next steps falling
due on the coordinator's board (safety.board_cards)."""

from __future__ import annotations

from django.http import HttpRequest

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
