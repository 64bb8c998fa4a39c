"""The negotiations section, internal edition only: next steps falling due, the party's kind
and the date only (never the party's name, the step's text or who took part)."""

from __future__ import annotations

from typing import Any

from salama.negotiations.selectors import due_next_steps
from salama.reports.sections import Scope

LIMIT = 60


def negotiations_internal(scope: Scope) -> dict[str, Any] | None:
    rows = list(due_next_steps(scope.org).values_list("party__kind", "next_due")[:LIMIT])
    if not rows:
        return None
    today = scope.now.date()
    return {
        "due": [
            {"kind": kind, "due": due.isoformat(), "overdue": due < today}
            for kind, due in rows
            if due is not None  # due_next_steps filters them out; for the type checker
        ]
    }
