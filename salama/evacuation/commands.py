"""Evacuation's text commands (registered from EvacuationConfig.ready() with
salama.messaging.commands).

- ``EVAC n`` / ``اخلاء n``: a request for the sender and n dependants (0 when n is left out).
  OFF by default — the word on the wire is itself a risk: the organisation setting ``commands``
  must list ``evacuation_request``. Only from the person's own phone. ``EVAC`` followed by
  anything but one number is refused with a translated reason; the raw text is kept, as every
  text is. The reply never repeats the word: "Noted 10:02: 3. Your lead will contact you."
- ``ARRIVED`` / ``وصلت``: from an evacuee in transit (their journey) or the focal point of a
  movement under way (every evacuee of it in transit). From anyone else it is not this command.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from salama.evacuation import services
from salama.evacuation.models import AgeBand, Channel, Reason, Relation
from salama.lib.textnorm import normalize, tokens
from salama.messaging.handler import Context, Outcome
from salama.messaging.models import Priority
from salama.messaging.outbox import queue_message

EVAC_WORDS = frozenset(normalize(w) for w in ("EVAC", "إخلاء", "اخلاء"))
ARRIVED_WORDS = frozenset(normalize(w) for w in ("ARRIVED", "وصلت", "وصلنا"))


@dataclass
class EvacOutcome(Outcome):
    dependants: int | None = None
    request: int | None = None


def _reply(ctx: Context, template: str, context: dict[str, object], language: str) -> None:
    if ctx.replies:
        queue_message(
            org=ctx.org,
            contact_point=ctx.point,
            template=template,
            context=context,
            priority=Priority.NORMAL,
            reason="reply",
            language=language,
            cause_ids={"inbound": ctx.inbound.pk},
        )


def parse_evac(body: str) -> tuple[int | None, str] | None:
    """None: not this command. (n, "") understood; (None, reason) refused."""
    words = tokens(body)
    if not words or words[0] not in EVAC_WORDS:
        return None
    rest = words[1:]
    if not rest:
        return 0, ""
    if len(rest) > 1:
        return None, "extra"
    if not rest[0].isdigit():
        return None, "not_number"
    n = int(rest[0])
    if n > 30:
        return None, "too_many"
    return n, ""


def _refusal(reason: str) -> str:
    return {
        "extra": _("write only the number of dependants, e.g. 3"),
        "not_number": _("write the number of dependants, e.g. 3"),
        "too_many": _("at most 30 dependants"),
    }.get(reason, reason)


def handle_evac(ctx: Context) -> Outcome | None:
    parsed = parse_evac(str(ctx.inbound.body))
    if parsed is None or len(ctx.persons) != 1 or ctx.point.is_shared:
        return None
    person = ctx.persons[0]
    n, reason = parsed
    out = EvacOutcome("evacuation_request", dependants=n)
    with translation.override(person.language):
        if n is None:
            out.action, out.reason, out.dependants = "evacuation_refused", reason, None
            _reply(ctx, "journey_refused", {"reason": _refusal(reason)[:50]}, person.language)
            return out
        data = services.RequestInput(
            reason=Reason.NOT_STATED,
            dependants=[
                services.Dependant(relation=Relation.OTHER, age_band=AgeBand.UNKNOWN)
                for _i in range(n)
            ],
        )
        try:
            request = services.create_request(
                person=person,
                data=data,
                channel=Channel.SMS,
                inbound_id=ctx.inbound.pk,
                by=person.membership,
            )
        except services.EvacuationError:
            out.action, out.reason = "evacuation_refused", "open_request"
            text = _("you have an open request already")
            _reply(ctx, "journey_refused", {"reason": text[:50]}, person.language)
            return out
        out.request = request.pk
        _reply(
            ctx,
            "journey_request_noted",
            {"time": ctx.inbound.received_at, "count": n},
            person.language,
        )
    return out


def handle_arrived(ctx: Context) -> Outcome | None:
    words = tokens(str(ctx.inbound.body))
    if len(words) != 1 or words[0] not in ARRIVED_WORDS or len(ctx.persons) != 1:
        return None
    person = ctx.persons[0]
    moved = services.arrived_from(person, channel=Channel.SMS)
    if not moved:
        return None
    _reply(ctx, "journey_noted", {"time": ctx.inbound.received_at}, person.language)
    return Outcome("journey_arrived", codenames=[r.person.codename for r in moved])


def watch_roll_call(ctx: Context, outcome: Outcome) -> None:
    """A SAFE answer to a movement's arrival roll call is an arrival, like ``ARRIVED``: the
    answering evacuee's journey, if it is in transit on a movement that opened a roll call."""
    if outcome.action != "roll_call_answer" or outcome.status != "SAFE":
        return
    for person in ctx.persons:
        if person.codename in outcome.codenames:
            services.arrived_on_roll_call(person)
