"""Roll calls after they open: closing one (with the digest of counts to the team leads and the
coordinator on duty), re-sending to the silent, and the worker's pass over open roll calls
(``run_due_roll_calls``: close past the deadline, re-send when due).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from salama.accounts import audit
from salama.accounts.models import Membership
from salama.lib import clock
from salama.messaging import texts
from salama.messaging.models import Priority
from salama.messaging.outbox import queue_message
from salama.people.models import Person
from salama.rollcalls import hooks
from salama.rollcalls.models import RollCall, RollCallRecipient, RollCallState, Timing
from salama.rollcalls.planning import asked_question, options_text

# --- Closing, re-sending, the digest ----------------------------------------------------------


def _language(person: Person) -> str:
    return person.language if person.language in texts.LANGUAGES else texts.LANGUAGES[0]


@transaction.atomic
def close_roll_call(
    *, roll_call: RollCall, by: Membership | None = None, request: HttpRequest | None = None
) -> bool:
    now = clock.now()
    closed = RollCall.objects.filter(pk=roll_call.pk, state=RollCallState.OPEN).update(
        state=RollCallState.CLOSED, closed_at=now
    )
    if not closed:
        return False
    RollCallRecipient.objects.filter(roll_call=roll_call, is_current=True).update(is_current=False)
    roll_call.refresh_from_db()
    _digest(roll_call)
    hooks.rollcall_closed(roll_call=roll_call)
    audit.record("rollcall.close", org_id=roll_call.org_id, obj=roll_call, request=request)
    return True


def silent(roll_call: RollCall) -> Any:
    return RollCallRecipient.objects.filter(
        roll_call=roll_call, withheld="", option__isnull=True, superseded_at__isnull=True
    )


def resend_silent(roll_call: RollCall) -> int:
    """A new message to every silent recipient's contact point (once per shared phone)."""
    org = roll_call.org
    rows = list(silent(roll_call).select_related("contact_point", "person"))
    sent: set[int] = set()
    priority = Priority.NORMAL if roll_call.is_safety else Priority.BULK
    for row in rows:
        point = row.contact_point
        if point is None or point.pk in sent:
            continue
        sent.add(point.pk)
        key = "rollcall_shared" if point.is_shared else "rollcall"
        language = _language(row.person)
        queue_message(
            org=org,
            contact_point=point,
            template=key,
            context={
                "question": asked_question(
                    org, roll_call.question, language, roll_call.own_questions()
                ),
                "options": options_text(org, roll_call.options, language),
            },
            priority=priority,
            reason=f"rollcall:{roll_call.number}",
            language=language,
            cause_ids={"rollcall": roll_call.pk, "resend": roll_call.resends_done + 1},
        )
    silent(roll_call).update(resends=roll_call.resends_done + 1)
    return len(sent)


def _digest(roll_call: RollCall) -> None:
    """At the close: one text with counts to the leads of the teams asked and the coordinator
    on duty."""
    from salama.alerts.routing import coordinators_now, for_person
    from salama.people.models import TeamLead

    rows = RollCallRecipient.objects.filter(roll_call=roll_call)
    total = rows.count()
    answered = rows.filter(option__isnull=False).exclude(timing=Timing.LATE).count()
    team_ids = rows.values("person__team_id")
    recipients = coordinators_now(roll_call.org_id, clock.now())
    for lead in TeamLead.objects.filter(team_id__in=team_ids).select_related("person"):
        found = for_person(lead.person, "lead")
        if found is not None:
            recipients.append(found)
    seen: set[int] = set()
    for recipient in recipients:
        for point in recipient.points:
            if point.pk in seen:
                continue
            seen.add(point.pk)
            queue_message(
                org=roll_call.org,
                contact_point=point,
                template="rollcall_digest",
                context={"number": roll_call.number, "answered": answered, "total": total},
                priority=Priority.NORMAL,
                reason=f"rollcall-digest:{roll_call.number}",
                cause_ids={"rollcall": roll_call.pk},
            )
    RollCall.objects.filter(pk=roll_call.pk).update(digest_sent_at=clock.now())


def run_due_roll_calls() -> bool:
    """Close roll calls past their deadline (with the digest); re-send to the silent once
    `resend_after_minutes` have passed since the last send (claimed by a conditional update)."""
    now = clock.now()
    did = False
    for roll_call in RollCall.objects.filter(state=RollCallState.OPEN).select_related("org"):
        if roll_call.deadline_at <= now:
            did |= close_roll_call(roll_call=roll_call)
            continue
        if not roll_call.resend_after_minutes or roll_call.resends_done >= roll_call.resend_max:
            continue
        due = roll_call.last_send_at + timedelta(minutes=roll_call.resend_after_minutes)
        if due > now:
            continue
        with transaction.atomic():
            # Claimed with a conditional update: two workers never both re-send.
            claimed = RollCall.objects.filter(
                pk=roll_call.pk, resends_done=roll_call.resends_done, state=RollCallState.OPEN
            ).update(resends_done=roll_call.resends_done + 1, last_send_at=now)
            if claimed:
                resend_silent(roll_call)
                did = True
    return did
