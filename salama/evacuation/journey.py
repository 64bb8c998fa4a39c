"""Each evacuee's journey: the only way its state changes (`move_journey`), against the table
`JOURNEY_TRANSITIONS`. A wrong move is refused with a message naming the legal ones."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from salama.accounts.models import Membership
from salama.evacuation.base import EvacuationError
from salama.evacuation.models import (
    JOURNEY_TRANSITIONS,
    Channel,
    JourneyState,
    JourneyStep,
    Movement,
    Outcome,
    Request,
)
from salama.lib import clock
from salama.people.models import Person


def legal_moves(state: str) -> list[str]:
    order = list(JourneyState.values)
    return sorted(JOURNEY_TRANSITIONS[state], key=order.index)


def refusal(state: str, to: str) -> str:
    labels = dict(JourneyState.choices)
    legal = [str(labels[s]) for s in legal_moves(state)]
    if not legal:
        return _("The journey is over (%(state)s): it cannot change any more.") % {
            "state": labels[state]
        }
    return _(
        "A journey cannot go from %(from)s to %(to)s. From %(from)s it can go to: %(legal)s."
    ) % {
        "from": labels[state],
        "to": labels.get(to, to),
        "legal": ", ".join(legal),
    }


@transaction.atomic
def move_journey(
    *,
    request: Request,
    to: str,
    channel: str,
    by: Membership | None = None,
    by_person: Person | None = None,
    movement: Movement | None = None,
) -> JourneyStep:
    """Move one evacuee's journey to `to`, under the request's row lock. Arrival closes the
    request as evacuated."""
    locked = Request.objects.select_for_update().get(pk=request.pk)
    if to not in JourneyState.values or to not in JOURNEY_TRANSITIONS[locked.journey]:
        raise EvacuationError(refusal(locked.journey, to))
    now = clock.now()
    step = JourneyStep.objects.create(
        org_id=locked.org_id,
        request=locked,
        movement=movement,
        from_state=locked.journey,
        to_state=to,
        at=now,
        by=by,
        by_person=by_person,
        channel=channel,
    )
    fields = {"journey": to, "journey_at": now}
    if to == JourneyState.ARRIVED:
        fields.update(outcome=Outcome.EVACUATED, outcome_at=now)
    Request.objects.filter(pk=locked.pk).update(**fields)
    for name, value in fields.items():
        setattr(request, name, value)
    return step


def system_channel() -> str:
    return str(Channel.SYSTEM)
