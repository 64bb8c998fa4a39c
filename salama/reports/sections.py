"""The report as an ordered list of sections (docs/reports.md, "Adding a section").

A section is a name, an order, a template and one build function per edition. Each build
function runs its *own* query, restricted to what its edition may hold: the partner edition's
functions read counts with `aggregate()`/`values()` over non-identifying columns only, never a
model row with a codename or a name, so nothing personal can reach a partner by a template
slip. An edition without a function does not get the section.

Apps register their sections from their AppConfig.ready() (reports registers its own from
sections_core; incidents, evacuation and negotiations add theirs the same way when they land).
A build function returns JSON-ready data (numbers, strings, ISO times, lists, dicts) or None
(nothing to say: the section is left out); the report stores it encrypted and renders it again
in either language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from salama.accounts.models import Organisation
from salama.reports.models import Edition
from salama.reports.options import Options


@dataclass(frozen=True)
class Scope:
    """What one edition's build functions may use."""

    org: Organisation
    edition: str
    now: datetime
    since: datetime | None  # the previous report of this edition, if any
    options: Options
    team_ids: tuple[int, ...] = ()  # the lead edition: the lead's teams
    previous: dict[str, Any] = field(default_factory=dict)  # the previous report's figures


Build = Callable[[Scope], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Section:
    key: str
    order: int
    template: str  # rendered with `data` (this section's) and `edition`
    builds: dict[str, Build]  # edition -> its own restricted query
    # Counts (numbers only) this section contributes to the report's figures, for the next
    # report's "changes since": a function of the section's data.
    figures: Callable[[dict[str, Any]], dict[str, int]] | None = None


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    unknown = set(section.builds) - set(Edition.values)
    if unknown:
        raise ValueError(f"section {section.key}: unknown editions {sorted(unknown)}")
    SECTIONS[section.key] = section
    return section


def ordered() -> list[Section]:
    return sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))


def build_all(scope: Scope) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every registered section's data for the scope's edition, in order, and the figures."""
    parts: list[dict[str, Any]] = []
    figures: dict[str, int] = {}
    for section in ordered():
        build = section.builds.get(scope.edition)
        if build is None:
            continue
        data = build(scope)
        if data is None:
            continue
        parts.append({"key": section.key, "data": data})
        if section.figures is not None:
            figures.update({f"{section.key}.{k}": v for k, v in section.figures(data).items()})
    return parts, figures
