"""Roll calls, the shared bits: the refusal every roll-call action raises (``RollCallError``),
the safety options' effects, which statuses are danger, how long a closed or earlier roll call
is remembered (``LATE_MEMORY``), the window of unknown timing, and ``_set_based`` (no nested
loops for the set-based statements). Every other roll-call module imports from here, and this
one from none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from salama.people.models import Status

DANGER = (Status.NEED_HELP, Status.INJURED)
SAFETY_EFFECTS = {1: Status.SAFE, 2: Status.NEED_HELP, 3: Status.INJURED}
LATE_MEMORY = timedelta(hours=24)


class RollCallError(ValidationError):
    """A refused roll-call action; the message is translated."""


def unknown_window() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "ROLLCALL_UNKNOWN_WINDOW_MINUTES", 10)))


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
