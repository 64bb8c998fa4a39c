"""The facility text command in the protocol (registered from FacilitiesConfig.ready() with
salama.messaging.commands): a registered lead (or a coordinator's
phone) sends ``FAC <code> PARTIAL FUEL 2D``; the same service as the page and the API records
it. The reply confirms in neutral words and never names the facility. From anyone else, or a
shared phone, the text is not this command (the protocol asks back as usual)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from salama.accounts.access import COORDINATING
from salama.accounts.models import Organisation, Role
from salama.facilities import services
from salama.facilities.models import Channel, FacilityStatus
from salama.facilities.textparse import FacilityText, Words, parse_facility
from salama.facilities.vocabulary import IN_HOURS, Stock
from salama.messaging.handler import Context, Outcome
from salama.messaging.models import Priority
from salama.messaging.outbox import queue_message
from salama.safety.services import effective_time, lead_teams

SETTING = "facility_keywords"  # salama.facilities.keywords writes it


@dataclass
class FacilityOutcome(Outcome):
    facility: str = ""  # the code, never the name
    functionality: str | None = None
    stocks: dict[str, float] = field(default_factory=dict)  # days
    beds_occupied: int | None = None
    beds_total: int | None = None
    update: int | None = None
    is_current: bool | None = None


@lru_cache(maxsize=256)
def _words(changes_json: str) -> Words:
    return Words.build(json.loads(changes_json))


def words_for(org: Organisation) -> Words:
    changes = org.setting(SETTING) or {}
    return _words(json.dumps(changes, sort_keys=True, ensure_ascii=False))


def refusal(reason: str) -> str:
    """The translated reason a text changed nothing (in the active language)."""
    return {
        "no_code": _("give the code after the first word"),
        "unknown_code": _("unknown code"),
        "unknown_word": _("a word was not understood"),
        "negative": _("a stock cannot be negative"),
        "nothing": _("nothing to record"),
    }.get(reason, reason)


def summary(parsed: FacilityText) -> str:
    """What was understood, in short neutral words (the active language)."""
    parts = []
    if parsed.functionality:
        parts.append(
            {
                "full": _("full"),
                "partial": _("partial"),
                "none": _("stopped"),
                "unknown": _("unknown"),
            }[parsed.functionality]
        )
    short = {
        "fuel": _("fuel"), "oxygen": _("oxygen"), "blood": _("blood"),
        "anaesthesia": _("anaesthesia"), "iv_fluids": _("fluids"),
        "antibiotics": _("antibiotics"),
    }  # fmt: skip
    for stock, days in parsed.stocks.items():
        if Stock(stock) in IN_HOURS:
            amount = _("%(n)sh") % {"n": f"{days * 24:g}"}
        else:
            amount = _("%(n)sd") % {"n": f"{days:g}"}
        parts.append(f"{short[stock]} {amount}")
    if parsed.beds_occupied is not None:
        total = f"/{parsed.beds_total}" if parsed.beds_total is not None else ""
        parts.append(f"{_('beds')} {parsed.beds_occupied}{total}")
    return ", ".join(parts)[:48]


def _reply(ctx: Context, template: str, context: dict[str, Any], language: str) -> None:
    if ctx.replies:
        queue_message(
            org=ctx.org, contact_point=ctx.point, template=template, context=context,
            priority=Priority.NORMAL, reason="reply", language=language,
            cause_ids={"inbound": ctx.inbound.pk},
        )  # fmt: skip


def _may_report(ctx: Context) -> bool:
    """A registered lead's own phone, or a coordinator's."""
    membership = ctx.membership
    if membership is not None and membership.is_active and membership.role in COORDINATING:
        return True
    if ctx.point.is_shared or len(ctx.persons) != 1:
        return False
    person = ctx.persons[0]
    if not lead_teams(person):
        return False
    return person.membership is not None and person.membership.role == Role.FIELD_LEAD


def handle_text(ctx: Context) -> Outcome | None:
    parsed = parse_facility(str(ctx.inbound.body), words_for(ctx.org))
    if parsed is None or not _may_report(ctx):
        return None
    person = ctx.persons[0] if len(ctx.persons) == 1 else None
    language = person.language if person else str(ctx.org.setting("language", "ar"))
    out = FacilityOutcome("facility_update", facility=parsed.code)
    with translation.override(language):
        status = None
        if not parsed.error:
            status = (
                FacilityStatus.objects.for_org(ctx.org)
                .filter(code=parsed.code)
                .select_related("facility")
                .first()
            )
            parsed.error = "" if status is not None else "unknown_code"
        if parsed.error or status is None:
            return _refused(ctx, out, parsed.error, refusal(parsed.error), language)
        observed_at, _flagged = effective_time(ctx.inbound.sent_at, ctx.inbound.received_at)
        try:
            result = services.record_update(
                facility=status.facility, channel=Channel.SMS, observed_at=observed_at,
                by=ctx.membership or (person.membership if person else None), by_person=person,
                inbound_id=ctx.inbound.pk, functionality=parsed.functionality,
                beds_occupied=parsed.beds_occupied, beds_total=parsed.beds_total,
                stocks={k: services.StockInput(days=v) for k, v in parsed.stocks.items()},
            )  # fmt: skip
        except services.FacilityError as error:
            return _refused(ctx, out, "invalid", " ".join(error.messages), language)
        out.functionality, out.stocks = parsed.functionality, parsed.stocks
        out.beds_occupied, out.beds_total = parsed.beds_occupied, parsed.beds_total
        out.update, out.is_current = result.update.pk, result.is_current
        out.alert = result.alert.number if result.alert else None
        when = ctx.inbound.received_at
        if result.is_current:
            _reply(ctx, "facility_ok", {"time": when, "summary": summary(parsed)}, language)
        else:
            out.reason = "late"
            _reply(ctx, "facility_late", {"time": when}, language)
    return out


def _refused(
    ctx: Context, out: FacilityOutcome, reason: str, text: str, language: str
) -> FacilityOutcome:
    out.action, out.reason = "facility_refused", reason
    _reply(ctx, "facility_refused", {"reason": text[:50]}, language)
    return out
