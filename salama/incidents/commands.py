"""The attack text command (registered from IncidentsConfig.ready(), off until the organisation
turns it on: the word is a risk on the wire). ``ATTACK <area> …`` / ``هجوم <area> …`` from a
registered person's own phone (or a coordinator's) stores a draft partner report with the raw
message, read by the same drafting rules as a pasted report; the reply gives the report's number
and never repeats what was sent. No area understood: nothing is stored but the inbound text
itself (messaging keeps every text), and the reply says why.

The command is offered texts with help and injury words (``with_danger_word``) because a
report's casualties are such words ("2 killed", "٣ شهداء", "جرحى"). It takes the text only when
every help or injury word in it is a reported casualty (drafting.reported_casualties); any
other (help, trapped, ساعدونا, I am injured, a lone "injured") makes it a call for help about
the sender: the command declines and the check-in rules handle it as without the command."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _

from salama.incidents import drafting
from salama.incidents.models import Channel
from salama.incidents.reports import create_report
from salama.incidents.validation import IncidentError, ReportData
from salama.lib.textnorm import tokens
from salama.messaging import parser
from salama.messaging.handler import DANGER, Context, Outcome
from salama.messaging.keywords import vocabulary_for
from salama.messaging.models import Priority
from salama.messaging.outbox import queue_message
from salama.people.models import Area
from salama.safety.services import effective_time

NAME = "attack"
WORDS = frozenset({"attack", "هجوم", "اعتداء"})


@dataclass
class AttackOutcome(Outcome):
    report: int | None = None  # the report's number


def is_attack(body: str) -> bool:
    words = tokens(body)
    return bool(words) and words[0] in {w for word in WORDS for w in tokens(word)}


def calls_for_help(ctx: Context, body: str) -> bool:
    """Whether the text still reads as a call for help (the organisation's words, the parser's
    rules) once its reported casualties are set aside."""
    rest = list(body)
    for start, end in drafting.reported_casualties(body):
        rest[start:end] = " " * (end - start)
    parsed = parser.parse("".join(rest), vocabulary=vocabulary_for(ctx.org))
    return parsed.kind == "checkin" and parsed.status in DANGER


def handle_text(ctx: Context) -> Outcome | None:
    body = str(ctx.inbound.body)
    if not is_attack(body) or (ctx.inbound.has_danger_word and calls_for_help(ctx, body)):
        return None
    person = ctx.persons[0] if len(ctx.persons) == 1 else None
    if person is None and ctx.membership is None:
        return None
    language = person.language if person else str(ctx.org.setting("language", "ar"))
    out = AttackOutcome("attack_report")
    observed_at, _flagged = effective_time(ctx.inbound.sent_at, ctx.inbound.received_at)
    local_day = translation.override(language)
    with local_day:
        found = drafting.draft(
            body.split(maxsplit=1)[1] if len(body.split(maxsplit=1)) > 1 else "",
            areas=list(Area.objects.for_org(ctx.org)),
            today=observed_at.date(),
        )
        data = ReportData(
            occurred_on=found.occurred_on or observed_at.date(),
            area=found.area,  # type: ignore[arg-type]
            attack_types=found.attack_types,
            victims={"killed_total": found.killed, "injured_total": found.injured},
        )
        try:
            report = create_report(
                org=ctx.org, data=data, channel=Channel.SMS,
                by=ctx.membership or (person.membership if person else None), by_person=person,
                inbound_id=ctx.inbound.pk, raw_text=body,
            )  # fmt: skip
        except IncidentError as error:
            out.action, out.reason = "attack_refused", "invalid"
            reason = (
                _("name the area after the first word")
                if found.area is None
                else (" ".join(error.messages))
            )
            _reply(ctx, "attack_refused", {"reason": reason[:50]}, language)
            return out
        out.report = report.number
        _reply(ctx, "attack_ok", {"time": ctx.inbound.received_at, "number": report.number},
               language)  # fmt: skip
    return out


def _reply(ctx: Context, template: str, context: dict[str, object], language: str) -> None:
    if ctx.replies:
        queue_message(
            org=ctx.org, contact_point=ctx.point, template=template, context=context,
            priority=Priority.NORMAL, reason="reply", language=language,
            cause_ids={"inbound": ctx.inbound.pk},
        )  # fmt: skip
