"""The points where roll calls let higher apps act (docs/architecture.md, "Hooks")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from salama.lib.hooks import Hook

if TYPE_CHECKING:
    from salama.rollcalls.models import RollCall


def _rollcall_closed(*, roll_call: RollCall) -> None:
    """A roll call was closed (by a coordinator or at its deadline), in that transaction."""


rollcall_closed = Hook("rollcalls.rollcall_closed", _rollcall_closed)
