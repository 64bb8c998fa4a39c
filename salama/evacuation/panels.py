"""What evacuation adds to lower apps' pages through their hooks: the person's request and
journey on their page (people.person_panels), the counts by state on the board
(safety.board_cards)."""

from __future__ import annotations

from django.http import HttpRequest

from salama.accounts.access import COORDINATING
from salama.evacuation import priority, selectors
from salama.evacuation.models import JourneyState, Outcome
from salama.people.hooks import Panel
from salama.people.models import Person
from salama.safety.hooks import BoardCard


def person_panel(*, request: HttpRequest, person: Person, bound: dict[str, object]) -> Panel | None:
    membership = getattr(request, "membership", None)
    if membership is None or membership.role not in COORDINATING:
        return None
    latest = selectors.latest_request_for(person)
    if latest is None:
        return None
    return Panel(
        "evacuation/_person_panel.html",
        {
            "evac": latest,
            "evac_steps": selectors.journey(latest),
            "evac_why": priority.explain(latest.explanation),
        },
        order=60,
    )


def board_card(*, org_id: int) -> BoardCard | None:
    counts = selectors.counts(org_id)
    if not any(counts["journey"].values()):
        return None
    journey = dict(JourneyState.choices)
    outcomes = dict(Outcome.choices)
    context = {
        "bands": counts["bands"],
        "journey": [(s, journey[s], n) for s, n in counts["journey"].items() if n],
        "outcomes": [(o, outcomes[o], n) for o, n in counts["outcomes"].items()],
    }
    return BoardCard("evacuation/_board_card.html", context, version=repr(counts), order=50)
