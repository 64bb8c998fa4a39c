"""The points where messaging lets higher apps act (salama.lib.hooks; docs/architecture.md)."""

from __future__ import annotations

from salama.accounts.models import Organisation
from salama.lib.hooks import Provider


def _gateway_warning(
    *, org: Organisation, template: str, avoid_channels: tuple[str, ...], priority: int
) -> int:
    raise NotImplementedError


# Open a routine gateway warning for the coordinators on duty, through channels other than
# `avoid_channels` (the failing gateway), and return the alert's id. Called by the budget (80%
# and 100% of the month) and the gateway watchdog inside their transaction. Provided by alerts.
gateway_warning = Provider("messaging.gateway_warning", _gateway_warning)
