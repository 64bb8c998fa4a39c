"""The points where alerts let higher apps act (docs/architecture.md, "Hooks")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from salama.lib.hooks import Hook

if TYPE_CHECKING:
    from salama.alerts.models import Alert


def _alert_changed(*, alert: Alert, change: str) -> None:
    """`change`: "opened", "acknowledged" or "closed"; inside the transaction that made it."""


alert_changed = Hook("alerts.alert_changed", _alert_changed)
