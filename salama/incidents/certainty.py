"""The suggested certainty of an incident from its sources: Salama's reading of the SSA's table.

Certainty is about whether the attack happened, not about its details. Sources count by *kind*:
more sources of a kind already listed never raise it. The rule, as a table:

| kind of source | alone it makes |
|---|---|
| social media post, hearsay, anonymous report form | rumour |
| secondary account told to us, local media, international media | possible |
| eyewitness account told to us, police report | probable |
| eyewitness account by our own staff (or our own staff attacked) | confirmed |
| photo, video, satellite image | evidence: see below |

1. Accounts: the highest level among the kinds of account listed. Two *different* kinds at the
   same level raise that level one step, never past probable (two rumours of different kinds
   are possible; a local and an international media report are probable).
2. Evidence (photo, video, satellite image) raises the accounts one step: rumour → possible,
   possible → probable, probable → confirmed. Evidence alone, with no account, is possible.
   Several kinds of evidence raise it no more than one.
3. Our own staff attacked, or their own eyewitness account, is confirmed.
4. No source at all: rumour.

A coordinator may set another certainty with a reason (audited); the suggestion and its
explanation stay on the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from salama.incidents.vocabulary import CERTAINTY, label

RUMOUR, POSSIBLE, PROBABLE, CONFIRMED = range(4)
ACCOUNT_LEVEL = {
    "social_media": RUMOUR,
    "hearsay": RUMOUR,
    "anonymous_form": RUMOUR,
    "secondary_account": POSSIBLE,
    "local_media": POSSIBLE,
    "international_media": POSSIBLE,
    "eyewitness_told": PROBABLE,
    "police_report": PROBABLE,
    "eyewitness_own_staff": CONFIRMED,
}
EVIDENCE = frozenset({"photo", "video", "satellite"})


@dataclass
class Suggestion:
    certainty: str
    reasons: list[str] = field(default_factory=list)  # translated, in the active language


def _name(rank: int) -> str:
    return label("certainty", CERTAINTY[rank])


def suggest(kinds: Iterable[str], *, own_staff_attacked: bool = False) -> Suggestion:
    """The certainty the sources support, with the reasons in words."""
    given = list(kinds)
    listed = set(given)
    unknown = listed - set(ACCOUNT_LEVEL) - EVIDENCE
    if unknown:
        raise ValueError(f"unknown source kinds: {sorted(unknown)}")
    reasons: list[str] = []
    if own_staff_attacked or "eyewitness_own_staff" in listed:
        reasons.append(_("Our own staff were attacked or saw it themselves: confirmed."))
        return Suggestion(CERTAINTY[CONFIRMED], reasons)
    accounts = listed - EVIDENCE
    level = -1
    for rank in (RUMOUR, POSSIBLE, PROBABLE):
        at_rank = sorted(k for k in accounts if ACCOUNT_LEVEL[k] == rank)
        if not at_rank:
            continue
        reached = rank
        if len(at_rank) >= 2 and rank < PROBABLE:
            reached = rank + 1
            reasons.append(
                _("Two different kinds of source at %(level)s raise it to %(raised)s.")
                % {"level": _name(rank), "raised": _name(reached)}
            )
        else:
            reasons.append(
                _("%(kind)s alone makes it %(level)s.")
                % {"kind": label("source_kind", at_rank[0]), "level": _name(rank)}
            )
        level = max(level, reached)
    if listed & EVIDENCE:
        if level < 0:
            reasons.append(_("A photo, video or satellite image with no account is possible."))
            level = POSSIBLE
        else:
            reasons.append(
                _("A photo, video or satellite image raises %(level)s to %(raised)s.")
                % {"level": _name(level), "raised": _name(level + 1)}
            )
            level += 1
    if level < 0:
        reasons.append(_("No source is listed yet: rumour."))
        level = RUMOUR
    if len(given) > len(listed):
        reasons.append(_("More sources of a kind already listed do not raise it."))
    return Suggestion(CERTAINTY[level], reasons)
