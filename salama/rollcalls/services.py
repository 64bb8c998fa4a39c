"""Roll calls: open (snapshot and queue), credit answers, accept, re-send, close; the hooks the
text handler calls (``answer_from_text``, ``check_duress``).

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

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.lib.fields import seal
from salama.lib.sms import segments
from salama.messaging import channels, texts
from salama.messaging.models import Delivery, DeliveryState, Message, Priority
from salama.messaging.outbox import queue_message
from salama.messaging.reach import reachable_points_q
from salama.people.models import (
    Basis,
    ContactKind,
    ContactPoint,
    ContactState,
    Person,
    Status,
)
from salama.rollcalls.models import (
    Effect,
    RollCall,
    RollCallRecipient,
    RollCallState,
    Timing,
    WithheldReason,
)
from salama.safety.models import Channel
from salama.safety.selectors import OUT_OF_SWEEP
from salama.safety.services import open_event, record_checkin

if TYPE_CHECKING:
    from salama.messaging.handler import Context, Outcome

DANGER = (Status.NEED_HELP, Status.INJURED)
SAFETY_EFFECTS = {1: Status.SAFE, 2: Status.NEED_HELP, 3: Status.INJURED}
LATE_MEMORY = timedelta(hours=24)


class RollCallError(ValidationError):
    """A refused roll-call action; the message is translated."""


def unknown_window() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "ROLLCALL_UNKNOWN_WINDOW_MINUTES", 10)))


# --- Options and targets ----------------------------------------------------------------------


def safety_options() -> list[dict[str, Any]]:
    return [{"number": n, "label": "", "effect": str(s)} for n, s in SAFETY_EFFECTS.items()]


def option_of(roll_call: RollCall, number: int) -> dict[str, Any] | None:
    """A roll call's option `number`. 2 and 3 always mean help and injured (DESIGN §8), on a roll
    call of other options too: such an answer is heard from and counts under them."""
    found = roll_call.option(number)
    if found is None and number in (2, 3):
        return {"number": number, "label": "", "effect": str(SAFETY_EFFECTS[number])}
    return found


def build_options(
    *, is_safety: bool, extra: Sequence[tuple[str, str]] = ()
) -> list[dict[str, Any]]:
    """Options 1-3 (safe, help, injured) on a safety roll call; a non-safety roll call's own
    options are numbered from 4, each with its welfare effect (or none)."""
    if is_safety:
        return safety_options()
    if not extra:
        raise RollCallError(_("Give at least one option."))
    options = []
    for index, (label, effect) in enumerate(extra):
        if effect not in Effect.values:
            raise RollCallError(_("Unknown welfare effect."))
        if not label.strip():
            raise RollCallError(_("Every option needs a short label."))
        options.append({"number": 4 + index, "label": label.strip()[:30], "effect": effect})
    return options


def options_text(org: Organisation, roll_call_options: list[dict[str, Any]], language: str) -> str:
    parts = []
    for option in roll_call_options:
        label = option["label"] or texts.status_word(option["effect"], language, org)
        parts.append(f"{option['number']} {label}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Target:
    everyone: bool = False
    teams: tuple[int, ...] = ()
    areas: tuple[int, ...] = ()
    facilities: tuple[int, ...] = ()
    persons: tuple[int, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "everyone": self.everyone,
            "teams": list(self.teams),
            "areas": list(self.areas),
            "facilities": list(self.facilities),
            "persons": list(self.persons),
        }


def targeted(org: Organisation, target: Target) -> QuerySet[Person]:
    """Active persons of the target who have not left roll calls (DESIGN §5)."""
    query = Person.objects.for_org(org).filter(is_active=True).exclude(OUT_OF_SWEEP)
    if not target.everyone:
        query = query.filter(
            Q(team_id__in=target.teams)
            | Q(area_id__in=target.areas)
            | Q(home_facility_id__in=target.facilities)
            | Q(pk__in=target.persons)
        )
    return query


def plan(org: Organisation, target: Target) -> tuple[str, list[Any]]:
    """SQL for each targeted person (`id`) with the contact point they are reached on
    (`point_id`): their own reachable number first, else a shared phone, else none;
    `has_number` says whether a none is for want of a number or because every number is
    suppressed. Run by the database (``open_roll_call`` inserts from it, ``preview`` counts
    it). Set-based: every (person, number) pair of the target ranked once, so its cost grows
    with the roster, never with its square, whatever the planner's statistics."""
    persons = targeted(org, target).order_by()
    links = ContactPoint.persons.through.objects.filter(
        contactpoint__org=org,
        contactpoint__kind=ContactKind.SMS,
        contactpoint__state__in=[ContactState.ACTIVE, ContactState.PROVISIONAL],
        person_id__in=persons.values("id"),
    )
    ok = Case(
        When(reachable_points_q(via="contactpoint__"), then=Value(True)), default=Value(False)
    )
    ranked = (
        links.annotate(  # type: ignore[misc]  # the stubs cannot see annotations in values()
            ok=ok,
            n=Window(
                RowNumber(),
                partition_by=[F("person_id")],
                order_by=[ok.desc(), F("contactpoint__is_shared").asc(), F("contactpoint_id")],
            ),
        )
        .order_by()
        .values("person_id", "contactpoint_id", "ok", "n")
    )
    persons_sql, persons_params = persons.values("id").query.sql_with_params()
    ranked_sql, ranked_params = ranked.query.sql_with_params()
    sql = f"""
        SELECT who.id AS id,
               CASE WHEN best.ok THEN best.contactpoint_id END AS point_id,
               best.contactpoint_id IS NOT NULL AS has_number
        FROM ({persons_sql}) AS who
        LEFT JOIN ({ranked_sql}) AS best ON best.person_id = who.id AND best.n = 1
    """  # noqa: S608 - the ORM's SQL; every value is a parameter
    return sql, [*persons_params, *ranked_params]


# --- Cost and timing --------------------------------------------------------------------------


def price_per_segment(org: Organisation, channel: str) -> float:
    from salama.messaging.budget import price_per_segment as price

    return price(org, channel)


def estimate(
    *, org: Organisation, by_channel: dict[str, int], body: str, resends: int
) -> dict[str, Any]:
    """messages x segments x (1 + re-sends) x price per segment, per channel, summed."""
    encoding, count = segments(body)
    sends = 1 + max(0, resends)
    cost = sum(n * count * sends * price_per_segment(org, c) for c, n in by_channel.items())
    return {
        "messages": sum(by_channel.values()),
        "segments": count,
        "encoding": encoding,
        "sends": sends,
        "cost": round(cost, 2),
        "currency": str(org.setting("currency", "USD")),
        "channels": {c: n for c, n in by_channel.items() if n},
    }


def _by_channel(org: Organisation, points: int) -> dict[str, int]:
    """Roll calls go to SMS contact points: one channel per organisation."""
    return {channels.channel_for_kind(ContactKind.SMS, org): points}


def _seconds_for(name: str, org_id: int, count: int) -> float:
    """Seconds until a channel has handed off `count` more texts: its bucket's whole tokens go
    at once, the rest at its rate; through Android phones, each phone's share (even, by
    operator) replayed poll by poll under its pace and Android's 60-second limit
    (android.seconds_to_hand)."""
    from salama.messaging.buckets import bucket_for, tokens_on_hand

    if name == "android":
        from salama.messaging.channels.android import seconds_to_hand
        from salama.messaging.models import AndroidPhone

        phones = list(AndroidPhone.objects.for_org(org_id).filter(is_active=True))
        if not phones:
            return 0.0
        share = -(-count // len(phones))
        return max(seconds_to_hand(phone, share) for phone in phones)
    bucket = bucket_for(name)
    rate = max(0.01, bucket.refill_per_second)
    return max(0.0, count - tokens_on_hand(name, bucket.capacity)) / rate


def last_send_at(roll_call: RollCall) -> datetime | None:
    """When the last of this roll call's messages will be handed off at the gateways' current
    rates (the queue ahead of it, ``_seconds_for``), and no earlier than the latest retry a
    failed message of it waits for. None when nothing is waiting."""
    pending = Delivery.objects.for_org(roll_call.org_id).filter(
        message__reason=f"rollcall:{roll_call.number}",
        state__in=["queued", "failed", "sending"],
    )
    last = pending.filter(state="failed").aggregate(t=Max("next_attempt_at"))["t"]
    now = clock.now()
    for name, top in pending.values_list("channel").annotate(top=Max("id")):
        ahead = (
            Delivery.objects.filter(channel=name, state__in=["queued", "failed", "sending"])
            .filter(Q(priority__lt=Priority.BULK + 1) & Q(id__lte=top))
            .count()
        )
        moment = now + timedelta(seconds=_seconds_for(name, roll_call.org_id, ahead))
        last = moment if last is None or moment > last else last
    return last


def preview(
    *,
    org: Organisation,
    question: str,
    target: Target,
    is_safety: bool = True,
    extra_options: Sequence[tuple[str, str]] = (),
    resend_after_minutes: int = 0,
    resend_max: int = 1,
) -> dict[str, Any]:
    """What a roll call would cost before it is launched: the composer's preview. Recipients,
    the messages (one per contact point), segments, sends, cost, withheld, and the month's
    budget (spent and what it would be after)."""
    from salama.messaging import budget

    options = build_options(is_safety=is_safety, extra=extra_options)
    variants = render_variants(org, question.strip() or "?", options)
    plan_sql, plan_params = plan(org, target)
    counting = "SELECT COUNT(*), COUNT(*) - COUNT(point_id), COUNT(DISTINCT point_id) FROM"
    with transaction.atomic(), connection.cursor() as cursor, _set_based(cursor):
        cursor.execute(f"{counting} ({plan_sql}) AS plan", plan_params)  # noqa: S608
        recipients, withheld, points = cursor.fetchone()
    resends = resend_max if resend_after_minutes else 0
    body = max(variants.values(), key=lambda b: segments(b)[1])
    result = estimate(org=org, by_channel=_by_channel(org, points), body=body, resends=resends)
    result["recipients"] = recipients
    result["withheld"] = withheld
    monthly = budget.monthly_budget(org)
    if monthly > 0:
        spent = budget.spent(org)
        result["budget"] = {
            "monthly": round(monthly, 2),
            "spent": round(spent, 2),
            "after": round(spent + float(result["cost"]), 2),
            "over": spent + float(result["cost"]) >= monthly,
        }
    return result


# --- Opening ----------------------------------------------------------------------------------


def _next_number(org: Organisation) -> int:
    top = RollCall.objects.for_org(org).aggregate(n=Max("number"))["n"]
    return int(top or 0) + 1


def render_variants(
    org: Organisation, question: str, options: list[dict[str, Any]]
) -> dict[tuple[str, bool], str]:
    out = {}
    for language in texts.LANGUAGES:
        context = {"question": question, "options": options_text(org, options, language)}
        for shared in (False, True):
            key = "rollcall_shared" if shared else "rollcall"
            out[(language, shared)] = texts.render(org, key, language, context)
    return out


def _language(person: Person) -> str:
    return person.language if person.language in texts.LANGUAGES else texts.LANGUAGES[0]


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
    event_label: str = "",
    wire_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> RollCall:
    """Open an event and a roll call; snapshot the recipients and queue every message in one
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
    variants = render_variants(org, question, options)
    problems = [p for body in variants.values() for p in wire_problems(org, body)]
    if problems and not wire_confirmed:
        raise RollCallError(
            _("This text should not go over the wire: %(problems)s")
            % {"problems": "; ".join(dict.fromkeys(problems))}
        )
    event = open_event(
        org=org, label=event_label or _("Roll call"), opened_by=opened_by, request=request
    )
    roll_call = RollCall.objects.create(
        org=org,
        number=_next_number(org),
        event=event,
        is_safety=is_safety,
        question=question,
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
        detail={"recipients": recipients, "messages": messages, "event": event.pk},
    )
    return roll_call


@contextmanager
def _set_based(cursor: Any) -> Iterator[None]:
    """Hash and merge joins only, for the statements inside (PostgreSQL). A snapshot joins whole
    rosters; right after an import, before the tables' statistics exist, the planner guesses
    one row per table and picks nested loops that test every person against every number (a
    10,000-person roll call took minutes). Without nested loops it stays linear, whatever the
    statistics. Restored after, so the rest of the transaction keeps its own setting. Inside a
    transaction only (SET LOCAL); read results before leaving."""
    if connection.vendor != "postgresql":
        yield
        return
    cursor.execute("SELECT current_setting('enable_nestloop')")
    (before,) = cursor.fetchone()
    cursor.execute("SET LOCAL enable_nestloop = off")
    try:
        yield
    finally:
        cursor.execute("SELECT set_config('enable_nestloop', %s, true)", [before])


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


# --- Closing, re-sending, the digest ----------------------------------------------------------


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
    audit.record("rollcall.close", org_id=roll_call.org_id, obj=roll_call, request=request)
    return True


def silent(roll_call: RollCall) -> Any:
    return RollCallRecipient.objects.filter(
        roll_call=roll_call, withheld="", option__isnull=True, superseded_at__isnull=True
    )


def resend_silent(roll_call: RollCall) -> int:
    """A new message to every silent recipient's contact point (once per shared phone)."""
    org = roll_call.org
    variants = render_variants(org, roll_call.question, roll_call.options)
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
                "question": roll_call.question,
                "options": options_text(org, roll_call.options, language),
            },
            priority=priority,
            reason=f"rollcall:{roll_call.number}",
            language=language,
            cause_ids={"rollcall": roll_call.pk, "resend": roll_call.resends_done + 1},
        )
    del variants
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
