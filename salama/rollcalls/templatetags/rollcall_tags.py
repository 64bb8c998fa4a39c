"""For the alerts pages (coordinators only): whether a duress alert is a drill, and its response
plan (salama.rollcalls.duress.plan_for)."""

from collections.abc import Mapping
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from salama.rollcalls import duress

register = template.Library()


@register.filter
def duress_info(alert: object) -> dict[str, object] | None:
    """The plan, whether it is a drill, and the words to show, for a duress alert; else None."""
    if getattr(alert, "kind", "") != "duress":
        return None
    found = duress.plan_for(alert)  # type: ignore[arg-type]
    if found is None:
        return None
    # The words are here (the roll-call catalogue), not in the alerts templates.
    return {
        "plan": found[0],
        "is_drill": found[1],
        "test": _("TEST"),
        "drill_note": _("A drill: nobody is in danger."),
        "plan_title": _("Response plan agreed at enrolment"),
    }


# ISO 4217 minor units where they are not two (the currencies of the region first).
MINOR_UNITS = {"IQD": 3, "JOD": 3, "KWD": 3, "BHD": 3, "OMR": 3, "LYD": 3, "TND": 3, "JPY": 0}


@register.filter
def money(value: object, currency: str = "USD") -> str:
    """An amount in its currency's real precision: 0.0312 USD is "0.03", never "0.0"; an
    amount above zero that rounds to nothing shows as "< 0.01"."""
    digits = MINOR_UNITS.get(str(currency).upper(), 2)
    amount = float(value or 0)  # type: ignore[arg-type]
    if 0 < amount < 10**-digits:
        return f"< {10**-digits:.{digits}f}"
    return f"{amount:.{digits}f}"


def _n(value: object) -> str:
    """A number isolated from the text around it (right-to-left pages keep it whole)."""
    return format_html('<bdi dir="ltr">{}</bdi>', value)


@register.simple_tag
def rollcall_summary(counts: Mapping[str, int], options: list[dict[str, Any]]) -> list[SafeString]:
    """The roll call's figures as sentences a coordinator reads at a glance (U1 item 8): who
    answered and what, who has not yet; then what is still in doubt; then where the messages
    are. Each sentence is safe HTML with its numbers in <bdi dir="ltr">."""
    total, heard, silent = counts.get("total", 0), counts.get("heard", 0), counts.get("silent", 0)
    word = pgettext("roll-call answers", "{n} {label}")
    answers = [format_html(word, n=_n(o["count"]), label=o["label"]) for o in options if o["count"]]
    head = ngettext("{heard} of {total} answered", "{heard} of {total} answered", total)
    first = format_html(head, heard=_n(heard), total=_n(total))
    if answers:
        first = format_html("{}: {}", first, mark_safe(_(", ").join(answers)))  # noqa: S308
    if silent:
        not_yet = ngettext("{n} not yet", "{n} not yet", silent)
        first = format_html("{}{}{}", first, _("; "), format_html(not_yet, n=_n(silent)))
    sentences = [format_html("{}.", first)]

    doubt = [
        format_html(template, n=_n(counts.get(key, 0)))
        for key, template in (
            ("unknown", ngettext("{n} answer of unknown timing waits to be accepted",
                                 "{n} answers of unknown timing wait to be accepted",
                                 counts.get("unknown", 0))),
            ("late", ngettext("{n} answered after the deadline", "{n} answered after the deadline",
                              counts.get("late", 0))),
            ("superseded", ngettext("{n} was asked again by a newer roll call",
                                    "{n} were asked again by a newer roll call",
                                    counts.get("superseded", 0))),
            ("withheld", ngettext("{n} was not asked (withheld)", "{n} were not asked (withheld)",
                                  counts.get("withheld", 0))),
        )
        if counts.get(key, 0)
    ]  # fmt: skip
    if doubt:
        sentences.append(format_html("{}.", mark_safe(_("; ").join(doubt))))  # noqa: S308

    sent = [
        format_html(template, n=_n(counts.get(key, 0)))
        for key, template in (
            ("handed", _("{n} handed to the network")),
            ("queued", _("{n} waiting to be sent")),
            ("failed", _("{n} failed")),
        )
        if counts.get(key, 0)
    ]
    if sent:
        sentences.append(
            format_html(_("Messages: {}."), mark_safe(_(", ").join(sent)))  # noqa: S308
        )
    return sentences
