"""Roll calls before they open: the options (safety 1-3, or the organisation's own from 4),
the target and the SQL plan of who is reached on which number, the rendered texts, and what a
roll call would cost and when its last message will go (the composer's preview).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Case, F, Max, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from salama.accounts.models import Organisation
from salama.lib import clock
from salama.lib.sms import segments
from salama.messaging import channels, texts
from salama.messaging.models import Delivery, Priority
from salama.messaging.reach import reachable_points_q
from salama.people.models import ContactKind, ContactPoint, ContactState, Person
from salama.rollcalls.base import SAFETY_EFFECTS, RollCallError, _set_based
from salama.rollcalls.models import Effect, RollCall
from salama.safety.selectors import OUT_OF_SWEEP

ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")

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
    try:
        persons_sql, persons_params = persons.values("id").query.sql_with_params()
        ranked_sql, ranked_params = ranked.query.sql_with_params()
    except EmptyResultSet:  # no team, area, facility or codename chosen, and not everyone
        raise RollCallError(_("Nobody is in this target.")) from None
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
        "cost": round(cost, 6),  # shown in the currency's precision (rollcall_tags.money)
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
    question_ar: str = "",
    question_en: str = "",
) -> dict[str, Any]:
    """What a roll call would cost before it is launched: the composer's preview. Recipients,
    the messages (one per contact point), segments, sends, cost, withheld, and the month's
    budget (spent and what it would be after)."""
    from salama.messaging import budget

    options = build_options(is_safety=is_safety, extra=extra_options)
    own = clean_own_questions({"ar": question_ar, "en": question_en})
    variants = render_variants(org, question.strip() or "?", options, own)
    plan_sql, plan_params = plan(org, target)
    counting = "SELECT COUNT(*), COUNT(*) - COUNT(point_id), COUNT(DISTINCT point_id) FROM"
    with transaction.atomic(), connection.cursor() as cursor, _set_based(cursor):
        cursor.execute(f"{counting} ({plan_sql}) AS plan", plan_params)  # noqa: S608
        recipients, withheld, points = cursor.fetchone()
    if not recipients:
        raise RollCallError(_("Nobody is in this target."))
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


# --- The texts ------------------------------------------------------------------------------


def asked_question(
    org: Organisation, question: str, language: str, own: Mapping[str, str] | None = None
) -> str:
    """The question a recipient speaking `language` is asked: the coordinator's own text in that
    language where one was written; else the organisation's standard question in that language
    when `question` is the standard one (as the composer offers it in the coordinator's
    language); else `question` as it was written (the fallback)."""
    written = str((own or {}).get(language) or "").strip()
    if written:
        return written
    standard = {lang: texts.body_for(org, "rollcall_question", lang) for lang in texts.LANGUAGES}
    if question.strip() in {q.strip() for q in standard.values()}:
        return standard[language]
    return question


def render_variants(
    org: Organisation,
    question: str,
    options: list[dict[str, Any]],
    own: Mapping[str, str] | None = None,
) -> dict[tuple[str, bool], str]:
    """One body per language and sharedness, each asking `asked_question` in its language: an
    Arabic speaker never gets "Are you safe?" followed by Arabic options."""
    out = {}
    for language in texts.LANGUAGES:
        asked = asked_question(org, question, language, own)
        context = {"question": asked, "options": options_text(org, options, language)}
        for shared in (False, True):
            key = "rollcall_shared" if shared else "rollcall"
            out[(language, shared)] = texts.render(org, key, language, context)
    return out


def clean_own_questions(own: Mapping[str, str] | None) -> dict[str, str]:
    """The questions written per language, stripped; an Arabic one must be in Arabic letters and
    an English one must have none (a translated error otherwise)."""
    found = {lang: str((own or {}).get(lang) or "").strip() for lang in ("ar", "en")}
    if found["ar"] and not ARABIC_LETTER.search(found["ar"]):
        raise RollCallError(_("The question in Arabic has no Arabic letters."))
    if found["en"] and ARABIC_LETTER.search(found["en"]):
        raise RollCallError(_("The question in English is written in Arabic letters."))
    return found
