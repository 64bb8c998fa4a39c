"""Opening a roll call: the event, the roll call, and the snapshot of its recipients with every
message and delivery queued, in one transaction. The snapshot (``_snapshot``) is run by the
database as a few INSERT/UPDATE ... SELECT statements, so opening costs the same few statements
for 10 recipients or 100,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.lib.fields import seal
from salama.lib.sms import segments
from salama.messaging import channels, texts
from salama.messaging.models import DeliveryState, Message, Priority
from salama.people.models import ContactKind
from salama.rollcalls.base import RollCallError, _set_based
from salama.rollcalls.models import RollCall, RollCallRecipient, WithheldReason
from salama.rollcalls.planning import (
    Target,
    _by_channel,
    build_options,
    clean_own_questions,
    estimate,
    plan,
    render_variants,
    targeted,
)
from salama.safety.models import Event


def _next_number(org: Organisation) -> int:
    top = RollCall.objects.for_org(org).aggregate(n=Max("number"))["n"]
    return int(top or 0) + 1


@transaction.atomic
def open_roll_call(
    *,
    org: Organisation,
    question: str,
    target: Target,
    deadline_at: datetime,
    is_safety: bool = True,
    extra_options: Sequence[tuple[str, str]] = (),
    resend_after_minutes: int = 0,
    resend_max: int = 1,
    opened_by: Membership | None = None,
    event: Event | None = None,
    wire_confirmed: bool = False,
    request: HttpRequest | None = None,
    question_ar: str = "",
    question_en: str = "",
) -> RollCall:
    """Open a roll call under `event` (an open event of the organisation) or none; snapshot
    the recipients and queue every message in one
    transaction. The snapshot is set-based (``_snapshot``): the rows never pass through
    Python, so opening takes the same few statements for 10 recipients or 100,000. A safety
    roll call supersedes each person's current one."""
    from salama.messaging.wire import wire_problems

    question = question.strip()
    now = clock.now()
    if not question:
        raise RollCallError(_("Write the question."))
    if deadline_at <= now:
        raise RollCallError(_("The deadline must be in the future."))
    options = build_options(is_safety=is_safety, extra=extra_options)
    own = clean_own_questions({"ar": question_ar, "en": question_en})
    variants = render_variants(org, question, options, own)
    problems = [p for body in variants.values() for p in wire_problems(org, body)]
    if problems and not wire_confirmed:
        raise RollCallError(
            _("This text should not go over the wire: %(problems)s")
            % {"problems": "; ".join(dict.fromkeys(problems))}
        )
    if event is not None and (event.org_id != org.pk or not event.is_open):
        raise RollCallError(_("This event is closed: choose an open one, or none."))
    roll_call = RollCall.objects.create(
        org=org,
        number=_next_number(org),
        event=event,
        is_safety=is_safety,
        question=question,
        question_ar=own["ar"],
        question_en=own["en"],
        options=options,
        target=target.as_json(),
        deadline_at=deadline_at,
        resend_after_minutes=max(0, resend_after_minutes),
        resend_max=max(0, resend_max),
        opened_by=opened_by,
        opened_at=now,
        last_send_at=now,
    )
    if is_safety:
        RollCallRecipient.objects.for_org(org).filter(
            person_id__in=targeted(org, target).order_by().values("id"),
            is_current=True,
            is_safety=True,
        ).update(is_current=False, superseded_at=now)
    recipients, messages = _snapshot(org, roll_call, plan(org, target), variants, now)
    if not recipients:
        raise RollCallError(_("Nobody is in this target."))  # rolls the event back too
    roll_call.estimate = estimate(
        org=org,
        by_channel=_by_channel(org, messages),
        body=max(variants.values(), key=lambda b: segments(b)[1]),
        resends=roll_call.resend_max if roll_call.resend_after_minutes else 0,
    )
    roll_call.save(update_fields=["estimate"])
    from salama.rollcalls.links import add_links

    add_links(org, roll_call)
    audit.record(
        "rollcall.open",
        org_id=org.pk,
        obj=roll_call,
        request=request,
        detail={
            "recipients": recipients,
            "messages": messages,
            "event": event.pk if event else None,
        },
    )
    return roll_call


def _snapshot(
    org: Organisation,
    roll_call: RollCall,
    planned: tuple[str, list[Any]],
    variants: dict[tuple[str, bool], str],
    now: datetime,
) -> tuple[int, int]:
    """Four INSERT/UPDATE ... SELECT statements run by the database: the recipients from the
    plan; one message per contact point (a shared phone gets one, in the language of its
    first person), its body the sealed variant for its language and sharedness; a delivery
    per message with a random reference; each recipient's message. Returns (recipients,
    messages)."""
    plan_sql, plan_params = planned
    channel = channels.channel_for_kind(ContactKind.SMS, org)
    priority = int(Priority.NORMAL if roll_call.is_safety else Priority.BULK)
    reason = f"rollcall:{roll_call.number}"
    cause = Message._meta.get_field("cause_ids").get_db_prep_value(
        {"rollcall": roll_call.pk}, connection
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    body_cases = " ".join("WHEN x.lang = %s AND c.is_shared = %s THEN %s" for _ in variants)
    body_params: list[Any] = []
    for (language, shared), body in variants.items():
        body_params += [language, shared, seal(org.pk, body)]
    languages = ", ".join("%s" for _ in texts.LANGUAGES)
    random_ref = (
        "replace(gen_random_uuid()::text, '-', '')"
        if connection.vendor == "postgresql"
        else "lower(hex(randomblob(16)))"
    )
    with connection.cursor() as cursor, _set_based(cursor):
        # Interpolated: the plan's SQL from the ORM, placeholders and fixed fragments only;
        # every value is a parameter.
        cursor.execute(
            f"""
            INSERT INTO rollcalls_rollcallrecipient
                (org_id, roll_call_id, person_id, contact_point_id, withheld, is_current,
                 is_safety, resends, timing, answer_via)
            SELECT %s, %s, plan.id, plan.point_id,
                   CASE WHEN plan.point_id IS NOT NULL THEN ''
                        WHEN plan.has_number THEN %s ELSE %s END,
                   plan.point_id IS NOT NULL, %s, 0, '', ''
            FROM ({plan_sql}) AS plan ORDER BY plan.id
            """,  # noqa: S608
            [
                org.pk,
                roll_call.pk,
                WithheldReason.SUPPRESSED,
                WithheldReason.NO_NUMBER,
                roll_call.is_safety,
                *plan_params,
            ],
        )
        recipients = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO messaging_message
                (org_id, priority, template, language, body, contact_point_id, reason,
                 cause_ids, created_at)
            SELECT %s, %s,
                   CASE WHEN c.is_shared THEN 'rollcall_shared' ELSE 'rollcall' END,
                   x.lang, CASE {body_cases} END, c.id, %s, %s, %s
            FROM (
                SELECT r.contact_point_id AS point_id, r.person_id,
                       CASE WHEN p.language IN ({languages}) THEN p.language ELSE %s END AS lang,
                       ROW_NUMBER() OVER (
                           PARTITION BY r.contact_point_id ORDER BY r.person_id
                       ) AS n
                FROM rollcalls_rollcallrecipient r
                JOIN people_person p ON p.id = r.person_id
                WHERE r.roll_call_id = %s AND r.contact_point_id IS NOT NULL
            ) AS x
            JOIN people_contactpoint c ON c.id = x.point_id
            WHERE x.n = 1
            ORDER BY x.person_id
            """,  # noqa: S608
            [org.pk, priority, *body_params, reason, cause, stamp]
            + [*texts.LANGUAGES, texts.LANGUAGES[0], roll_call.pk],
        )
        messages = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO messaging_delivery
                (org_id, message_id, channel, priority, state, attempts, next_attempt_at,
                 our_ref, provider_ref, last_error, handoffs, is_released, created_at,
                 updated_at)
            SELECT org_id, id, %s, priority, %s, 0, %s, {random_ref}, '', '', 0, %s, %s, %s
            FROM messaging_message
            WHERE org_id = %s AND created_at = %s AND reason = %s
            ORDER BY id
            """,  # noqa: S608
            [channel, DeliveryState.QUEUED, stamp, False, stamp, stamp, org.pk, stamp, reason],
        )
        cursor.execute(
            """
            UPDATE rollcalls_rollcallrecipient AS r SET message_id = m.id
            FROM messaging_message AS m
            WHERE r.roll_call_id = %s AND m.org_id = %s AND m.created_at = %s
              AND m.reason = %s AND m.contact_point_id = r.contact_point_id
            """,
            [roll_call.pk, org.pk, stamp, reason],
        )
    return recipients, messages
