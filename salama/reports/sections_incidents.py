"""The incidents section (docs/reports.md, "Adding a section").

Partner and lead: only the public edition's rows (`salama.incidents.selectors.public_rows`:
verified at possible or above, the published columns), counted here; the area only when both
incidents' own audited setting and the report options allow it. Never a facility name, a
narrative, a source or a perpetrator: they are not selected. Internal: every verified incident
(any certainty) counted by `aggregate()`/`values()`, and the open ones (draft, under review)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q

from salama.incidents.models import Incident
from salama.incidents.selectors import (
    OPEN_STATES,
    PUBLIC_AREA_COLUMN,
    PUBLISHED_CERTAINTY,
    public_rows,
)
from salama.incidents.vocabulary import ATTACK_TYPES, CERTAINTY
from salama.reports.sections import Scope
from salama.reports.sections_core import _since


def _tally(rows: Iterable[dict[str, Any]], *, with_area: bool) -> dict[str, Any]:
    by_type = dict.fromkeys(ATTACK_TYPES, 0)
    by_certainty = dict.fromkeys(CERTAINTY, 0)
    areas: dict[str, int] = {}
    total = killed = injured = 0
    for row in rows:
        total += 1
        for code in row["attack_types"] or []:
            by_type[code] = by_type.get(code, 0) + 1
        by_certainty[row["certainty"]] = by_certainty.get(row["certainty"], 0) + 1
        killed += row["killed_total"] or 0
        injured += row["injured_total"] or 0
        if with_area and row.get(PUBLIC_AREA_COLUMN):
            areas[row[PUBLIC_AREA_COLUMN]] = areas.get(row[PUBLIC_AREA_COLUMN], 0) + 1
    return {
        "total": total,
        "by_type": {k: v for k, v in by_type.items() if v},
        "by_certainty": by_certainty,
        "killed": killed,
        "injured": injured,
        "areas": [{"area": name, "count": n} for name, n in sorted(areas.items())],
    }


def incidents_partner(scope: Scope) -> dict[str, Any] | None:
    data = _tally(public_rows(scope.org), with_area=scope.options.by_area)
    if not data["total"]:
        return None
    # The new ones: a count under the public edition's own filter (nothing more is read).
    data["new"] = Incident.objects.filter(
        org_id=scope.org.pk,
        state="verified",
        certainty__in=PUBLISHED_CERTAINTY,
        verified_at__gte=_since(scope),
    ).count()
    return data


def incidents_internal(scope: Scope) -> dict[str, Any] | None:
    incidents = Incident.objects.for_org(scope.org)
    verified = incidents.filter(state="verified")
    rows = verified.values("attack_types", "certainty", "killed_total", "injured_total")
    data = _tally(rows, with_area=False)
    data["new"] = verified.filter(verified_at__gte=_since(scope)).count()
    states = incidents.aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in OPEN_STATES}
    )
    data["states"] = states
    if not data["total"] and not any(states.values()):
        return None
    return data


def incidents_figures(data: dict[str, Any]) -> dict[str, int]:
    return {"total": int(data["total"]), "new": int(data["new"])}
