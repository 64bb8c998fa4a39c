"""The points where messaging lets higher apps act (salama.lib.hooks; docs/architecture.md)."""

from __future__ import annotations

from salama.accounts.models import Organisation
from salama.lib.hooks import Provider

# Open a routine gateway warning for the coordinators on duty and return the alert's id: called
# by the budget (80% and 100% of the month) and the gateway watchdog, inside their transaction.
# Arguments: the organisation, the text template, channels not to use (the failing gateway),
# the outbox priority. Provided by alerts (salama.alerts.apps).
gateway_warning: Provider[[Organisation, str, tuple[str, ...], int], int] = Provider(
    "messaging.gateway_warning"
)
