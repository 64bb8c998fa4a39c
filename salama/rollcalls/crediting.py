"""Roll-call answers: which roll call an answer is to, crediting it (with its check-in), a
coordinator accepting an answer of unknown timing, and the text handler's hook
(``answer_from_text``).

Crediting (the protocol):

1. The answer's time is its sender-side (SMSC) time when the gateway gives one, else its
   receipt time.
2. A digit answers the open roll call most recently handed to the network for that person
   before the answer's time (the first hand-off of its message to them; a re-send does not move
   it), superseded or not: an answer sent between a newer roll call's launch and its hand-off
   answers the older one, and only it. None handed off before it: an ordinary check-in.
3. A help or injury word (``HELP trapped``) answers it as its help or injury option; the text
   handler records the check-in and raises the alert as for any call for help.
4. Without a sender-side time, a safe answer received within ROLLCALL_UNKNOWN_WINDOW of the
   hand-off may have been sent before it. When another roll call reached the person in the
   LATE_MEMORY before, it may answer that one: "timing unknown", and it waits for a
   coordinator to accept it before it becomes a check-in that counts as heard from. Else only
   this roll call could have asked it: it counts. A help or injury answer always counts at
   once (it is recorded and raises its alert whatever it answered).
5. An answer to a roll call closed since is listed as late and is an ordinary check-in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership
from salama.lib import clock
from salama.messaging.models import Delivery, Priority
from salama.messaging.outbox import queue_message
from salama.people.models import Basis, ContactPoint, Person, Status
from salama.rollcalls.base import DANGER, LATE_MEMORY, RollCallError, unknown_window
from salama.rollcalls.models import RollCall, RollCallRecipient, RollCallState, Timing
from salama.rollcalls.planning import option_of
from salama.safety.models import Channel
from salama.safety.services import record_checkin

if TYPE_CHECKING:
    from salama.messaging.handler import Context, Outcome

# --- Answers ----------------------------------------------------------------------------------


def handoff_at(recipient: RollCallRecipient) -> datetime | None:
    if recipient.message_id is None:
        return None
    return Delivery.objects.filter(message_id=recipient.message_id).aggregate(
        t=Min("handed_off_at")
    )["t"]


def current_for(person: Person, before: datetime | None = None) -> RollCallRecipient | None:
    """The open roll call most recently handed off to `person` before `before` (the answer's
    time), a superseded one included (None: none reached them by then)."""
    first_handoff = (
        Delivery.objects.filter(message_id=OuterRef("message_id"), handed_off_at__isnull=False)
        .order_by("handed_off_at")
        .values("handed_off_at")[:1]
    )
    rows = (
        RollCallRecipient.objects.for_org(person.org_id)
        .filter(person=person, roll_call__state=RollCallState.OPEN, withheld="")
        .annotate(handoff=Subquery(first_handoff))
        .filter(handoff__isnull=False)
    )
    if before is not None:
        rows = rows.filter(handoff__lt=before)
    return rows.select_related("roll_call", "org").order_by("-handoff", "-id").first()


def _asked_by_another(row: RollCallRecipient, received_at: datetime) -> bool:
    """Whether another roll call's message reached the person in the LATE_MEMORY before an
    answer received at `received_at`: an answer of unknown time may then be to that one."""
    others = (
        RollCallRecipient.objects.filter(person_id=row.person_id, message_id__isnull=False)
        .exclude(pk=row.pk)
        .values("message_id")
    )
    return Delivery.objects.filter(
        message_id__in=others,
        handed_off_at__gte=received_at - LATE_MEMORY,
        handed_off_at__lt=received_at,
    ).exists()


def open_for(person: Person) -> RollCallRecipient | None:
    """The person's open roll call for pages (handed off or not)."""
    return (
        RollCallRecipient.objects.for_org(person.org_id)
        .filter(person=person, roll_call__state=RollCallState.OPEN, withheld="")
        .filter(Q(is_current=True) | Q(is_safety=False))
        .select_related("roll_call", "org")
        .order_by("-roll_call__opened_at", "-id")
        .first()
    )


@dataclass
class Credit:
    timing: str
    checkin_id: int | None
    alert: bool = False


def _record(
    recipient: RollCallRecipient,
    effect: str,
    *,
    basis: str,
    received_at: datetime,
    sent_at: datetime | None,
    contact_point: ContactPoint | None,
    note: str = "",
) -> int | None:
    if not effect:
        return None
    checkin = record_checkin(
        person=recipient.person,
        status=effect,
        basis=basis,
        channel=Channel.ROLL_CALL,
        received_at=received_at,
        device_at=sent_at,
        note=note,
        contact_point=contact_point,
    )
    return int(checkin.pk)


@transaction.atomic
def credit_answer(
    *,
    recipient: RollCallRecipient,
    option: int,
    via: str,
    received_at: datetime | None = None,
    sent_at: datetime | None = None,
    contact_point: ContactPoint | None = None,
    basis: str = Basis.SELF,
    timed: bool = False,
    note: str = "",
) -> Credit:
    """Record one answer to `recipient`'s roll call. `timed`: the answer was made on a page or
    the API after the roll call was open (no wire delay), so it counts. `note`: the words of a
    help or injury answer, kept with its check-in."""
    roll_call = recipient.roll_call
    chosen = option_of(roll_call, option)
    if chosen is None:
        raise RollCallError(_("This roll call has no option %(n)s.") % {"n": option})
    received_at = received_at or clock.now()
    row = RollCallRecipient.objects.select_for_update().get(pk=recipient.pk)
    effect = str(chosen["effect"])
    if roll_call.state != RollCallState.OPEN:
        timing = Timing.LATE
    elif timed:
        timing = Timing.COUNTED
    else:
        handed = handoff_at(row)
        moment = sent_at or received_at
        if handed is None or moment <= handed:
            raise RollCallError(_("This answer was sent before the roll call reached the person."))
        unknown = (
            sent_at is None
            and effect not in DANGER
            and received_at - handed <= unknown_window()
            and _asked_by_another(row, received_at)
        )
        timing = Timing.UNKNOWN if unknown else Timing.COUNTED
    checkin_id = None
    if timing != Timing.UNKNOWN:
        checkin_id = _record(
            row,
            effect,
            basis=basis,
            received_at=received_at,
            sent_at=sent_at,
            contact_point=contact_point,
            note=note if effect in DANGER else "",
        )
    if row.timing in (Timing.COUNTED, Timing.ACCEPTED) and timing != Timing.LATE:
        timing = row.timing  # already counted: a second answer changes the option only
    row.option, row.timing, row.answer_via = option, timing, via
    row.answered_at = row.answered_at or received_at
    row.answer_sent_at = sent_at
    row.checkin_id = checkin_id or row.checkin_id
    row.save(
        update_fields=[
            "option", "timing", "answer_via", "answered_at", "answer_sent_at", "checkin_id"
        ]
    )  # fmt: skip
    recipient.refresh_from_db()
    return Credit(str(timing), checkin_id)


@transaction.atomic
def accept_answer(
    *, recipient: RollCallRecipient, by: Membership, request: HttpRequest | None = None
) -> bool:
    """A coordinator accepts an answer of unknown timing: it becomes a check-in that counts."""
    row = (
        RollCallRecipient.objects.select_for_update()
        .select_related("roll_call")
        .get(pk=recipient.pk)
    )
    if row.timing != Timing.UNKNOWN or row.option is None:
        return False
    chosen = option_of(row.roll_call, row.option) or {}
    if row.checkin_id is None:
        row.checkin_id = _record(
            row,
            str(chosen.get("effect", "")),
            basis=Basis.SELF,
            received_at=row.answered_at or clock.now(),
            sent_at=None,
            contact_point=row.contact_point,
        )
    row.timing, row.accepted_by = Timing.ACCEPTED, by
    row.save(update_fields=["timing", "accepted_by", "checkin_id"])
    audit.record("rollcall.accept", org_id=row.org_id, obj=row, request=request)
    return True


def accept_answers(
    *,
    roll_call: RollCall,
    recipient_ids: Sequence[int],
    by: Membership,
    request: HttpRequest | None = None,
) -> int:
    """ "Accept all": accept the answers of unknown timing the coordinator was shown (their ids),
    never one that arrived since. Returns how many were accepted."""
    rows = RollCallRecipient.objects.for_org(roll_call.org_id).filter(
        roll_call=roll_call, pk__in=recipient_ids, timing=Timing.UNKNOWN
    )
    return sum(accept_answer(recipient=row, by=by, request=request) for row in rows)


def _reply_ok(ctx: Context, person: Person) -> None:
    # The same reply, with the same fields, as the handler's own check-in reply.
    if not ctx.replies:
        return
    queue_message(
        org=ctx.org,
        contact_point=ctx.point,
        template="reply_ok",
        context={"time": ctx.inbound.received_at},
        priority=Priority.NORMAL,
        reason="reply",
        language=person.language,
        cause_ids={"inbound": ctx.inbound.pk},
    )


def _mark_late(person: Person, option: int, at: datetime) -> None:
    RollCallRecipient.objects.filter(
        person=person,
        roll_call__state=RollCallState.CLOSED,
        roll_call__closed_at__gte=at - LATE_MEMORY,
        option__isnull=True,
        withheld="",
    ).update(option=option, timing=Timing.LATE, answered_at=at, answer_via="sms")


def answer_from_text(ctx: Context) -> Outcome | None:
    """The text handler's hook: a digit that answers a roll call. Returns the handler's Outcome,
    or None when the text is not a roll-call answer (the handler goes on as usual)."""
    from salama.messaging.handler import Outcome

    parsed = ctx.parsed
    option = parsed.option
    if option is None:
        _credit_words(ctx)
        return None
    shared = ctx.point.is_shared or len(ctx.persons) > 1
    if shared:
        by_code = {p.codename.upper(): p for p in ctx.persons}
        persons = [by_code[c] for c in parsed.codenames if c in by_code]
        if not persons or len(persons) != len(parsed.codenames) or parsed.everyone:
            if option >= 4:
                if ctx.replies:
                    _reply_template(ctx, "reply_ask_codename", None)
                return Outcome("not_understood", reason="ask_codename")
            return None
    else:
        persons = ctx.persons[:1]
        if not persons:
            return None  # a number of no person (a coordinator's): not a roll-call answer
        if parsed.codenames and option == 1:
            return None  # a lead's "1 K12 K14" is a proxy check-in
    credited: list[tuple[Person, RollCallRecipient]] = []
    moment = ctx.inbound.sent_at or ctx.inbound.received_at
    for person in persons:
        recipient = current_for(person, before=moment)
        if recipient is None or option_of(recipient.roll_call, option) is None:
            # Sent before any open roll call reached them: an ordinary check-in.
            _mark_late(person, option, ctx.inbound.received_at)
            return None
        credited.append((person, recipient))
    alerts = False
    status = ""
    for _person, recipient in credited:
        credit = credit_answer(
            recipient=recipient,
            option=option,
            via="sms",
            received_at=ctx.inbound.received_at,
            sent_at=ctx.inbound.sent_at,
            contact_point=ctx.point,
            basis=ctx.basis,
            note=parsed.note,
        )
        status = str(option_of(recipient.roll_call, option)["effect"])  # type: ignore[index]
        if status in DANGER and credit.checkin_id is not None:
            alerts = True
    if not alerts:
        _reply_ok(ctx, persons[0])
    return Outcome(
        "roll_call_answer",
        status=status or None,
        codenames=[p.codename for p in persons],
    )


def _credit_words(ctx: Context) -> None:
    """A help or injury word without a digit (``HELP trapped``) from a person an open roll call
    reached answers it as its help or injury option. Only the roll-call row is marked here: the
    text handler goes on to record the check-in (its words kept) and raise the alert."""
    parsed = ctx.parsed
    if parsed.kind != "checkin" or parsed.status not in DANGER:
        return
    if ctx.point.is_shared or len(ctx.persons) > 1:
        by_code = {p.codename.upper(): p for p in ctx.persons}
        persons = [by_code[c] for c in parsed.codenames if c in by_code]
    else:
        persons = ctx.persons[:1]
    moment = ctx.inbound.sent_at or ctx.inbound.received_at
    for person in persons:
        recipient = current_for(person, before=moment)
        if recipient is None:
            continue
        number = next(
            (int(o["number"]) for o in recipient.roll_call.options if o["effect"] == parsed.status),
            2 if parsed.status == Status.NEED_HELP else 3,
        )
        RollCallRecipient.objects.filter(pk=recipient.pk).update(
            option=number,
            timing=Timing.COUNTED,
            answer_via="sms",
            answered_at=Coalesce(F("answered_at"), Value(ctx.inbound.received_at)),
            answer_sent_at=ctx.inbound.sent_at,
        )


def _reply_template(ctx: Context, template: str, person: Person | None) -> None:
    queue_message(
        org=ctx.org,
        contact_point=ctx.point,
        template=template,
        context={},
        priority=Priority.NORMAL,
        reason="reply",
        language=person.language if person is not None else None,
        cause_ids={"inbound": ctx.inbound.pk},
    )
