"""The ladder: the escalation of an open alert, one step at a time, until it is acknowledged.

The ladder of a life-safety alert (ALERT_ESCALATE_AFTER apart, until acknowledged):

    step 0  at once, in parallel: the person's leads and deputies, the area's local responders,
            the coordinator on duty (every coordinator when no lead can be reached);
    step 1  the next coordinator on the rota;
    step 2+ every coordinator, repeated up to the organisation's `alert_repeats` times.

A possible outage (salama.alerts.sweep) climbs the same ladder from step 1, with its own text;
its step 0 is the sweep's announcement to the coordinator on duty and the leads.

Step 0 is taken when the alert is raised (salama.alerts.raising); the worker job here takes the
steps after it. Every message is queued through the outbox in the transaction that causes it.
"""

from datetime import datetime

from django.db import transaction

from salama.accounts import audit
from salama.alerts.common import escalate_after, max_step
from salama.alerts.models import Alert, AlertKind, AlertNotification, AlertState
from salama.alerts.raising import notify
from salama.alerts.routing import Recipient, all_coordinators, next_on_rota
from salama.lib import clock
from salama.messaging.models import Priority

# --- The ladder ---------------------------------------------------------------------------------


def _told_memberships(alert: Alert) -> set[int]:
    return set(
        AlertNotification.objects.filter(alert=alert, membership__isnull=False).values_list(
            "membership_id", flat=True
        )
    )


def _step_recipients(alert: Alert, step: int, now: datetime) -> list[Recipient]:
    if step == 1:
        told = _told_memberships(alert)
        skipped: set[int] = set()
        while True:
            membership = next_on_rota(alert.org, now, exclude=told | skipped)
            if membership is None:
                break
            from salama.alerts.routing import for_membership

            recipient = for_membership(membership)
            if recipient is not None:
                return [recipient]
            skipped.add(membership.pk)
    return all_coordinators(alert.org)


@transaction.atomic
def escalate_one(alert: Alert, now: datetime | None = None) -> bool:
    """Take the next step of one due alert. The step is claimed with a conditional update, so
    two workers never both take it."""
    now = now or clock.now()
    step = alert.escalation_step + 1
    last = step >= max_step(alert.org)
    claimed = Alert.objects.filter(
        pk=alert.pk,
        state=AlertState.OPEN,
        escalation_step=alert.escalation_step,
        next_escalation_at__lte=now,
    ).update(
        escalation_step=step,
        next_escalation_at=None if last else now + escalate_after(),
        last_action="escalated",
        last_action_at=now,
    )
    if not claimed:
        return False
    alert.escalation_step = step
    recipients = _step_recipients(alert, step, now)
    # The next on the rota may be missing: then this step already tells everyone.
    template = "outage" if alert.kind == AlertKind.POSSIBLE_OUTAGE else "alert_life_safety"
    notify(alert, recipients, step=step, template=template, priority=Priority.LIFE_SAFETY)
    audit.record(
        "alert.escalate",
        org_id=alert.org_id,
        obj=alert,
        detail={"step": step, "to": len(recipients)},
    )
    return True


def escalate_alerts() -> bool:
    """Worker job: every open alert whose next step is due takes it (a call for help, or a
    possible outage)."""
    now = clock.now()
    due = list(
        Alert.objects.filter(
            state=AlertState.OPEN,
            next_escalation_at__isnull=False,
            next_escalation_at__lte=now,
        )
        .select_related("org", "person")
        .order_by("next_escalation_at", "pk")[:100]
    )
    did = False
    for alert in due:
        did = escalate_one(alert, now) or did
    return did
