"""Alerts: raising, routing, the escalation ladder, acknowledgement and closing; the hooks the
check-in and decision paths call; a seized phone.

This module is the door: every name is defined in one of the modules below and re-exported here,
so callers keep importing from salama.alerts.services.

- salama.alerts.common: AlertError, the shared constants, the ladder's pace;
- salama.alerts.raising: creating alerts, routing them to recipients, notify, the sender's receipt;
- salama.alerts.ladder: the escalation ladder (its steps are described in that module's docstring);
- salama.alerts.handling: acknowledge, close, hand over, reveal the notes;
- salama.alerts.reactions: the hooks from the check-in and decision paths, a seized phone, and
  routine alerts from the gateways and the budget.

Every message is queued through the outbox in the transaction that causes it.
"""

from salama.alerts.common import (
    ACK_BLOCKING_DECISIONS,
    COORDINATORS_ONLY,
    DURESS_WORD,
    RANK,
    STATUS_OF_KIND,
    AlertError,
    escalate_after,
    max_step,
)
from salama.alerts.handling import (
    acknowledge,
    close,
    hand_over,
    reveal_notes,
    text_acknowledger,
)
from salama.alerts.ladder import escalate_alerts, escalate_one
from salama.alerts.raising import (
    alert_context,
    current_status,
    may_acknowledge,
    new_alert,
    notify,
    raise_life_safety,
    reply_to_sender,
    sender_receipt,
)
from salama.alerts.reactions import (
    gateway_warning,
    mark_phone_seized,
    on_checkin,
    on_decision,
    person_lock_annotations,
    raise_routine,
)

__all__ = [
    "ACK_BLOCKING_DECISIONS",
    "COORDINATORS_ONLY",
    "DURESS_WORD",
    "RANK",
    "STATUS_OF_KIND",
    "AlertError",
    "acknowledge",
    "alert_context",
    "close",
    "current_status",
    "escalate_after",
    "escalate_alerts",
    "escalate_one",
    "gateway_warning",
    "hand_over",
    "mark_phone_seized",
    "max_step",
    "may_acknowledge",
    "new_alert",
    "notify",
    "on_checkin",
    "on_decision",
    "person_lock_annotations",
    "raise_life_safety",
    "raise_routine",
    "reply_to_sender",
    "reveal_notes",
    "sender_receipt",
    "text_acknowledger",
]
