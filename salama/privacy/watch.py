"""The reveal watch: more reveals of names or numbers by one user within an hour than the
organisation allows (policy "reveal_watch_limit", default 10) raise a routine alert, told to the
organisation's other coordinators and org admins. The alert and its text name no person: only
the alert's number; the page shows whose account it was (an id the audit log already holds).

It counts the audit rows "reveal" that salama.people.services.reveal writes (one per reveal), so
nothing in the reveal path changes. Run by the worker every pass; it costs one indexed query."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import AuditEvent, Membership, Organisation
from salama.alerts.models import Alert, AlertKind, AlertNotification
from salama.alerts.routing import for_membership
from salama.alerts.services import new_alert
from salama.lib import clock
from salama.messaging.models import Priority
from salama.messaging.outbox import language_for, queue_message
from salama.privacy import policy
from salama.privacy.models import RevealWatch

REVEAL_ACTION = "reveal"
WINDOW = timedelta(hours=1)
ALERT_KIND = AlertKind.REVEAL_WATCH


def reveals_in_window(now: datetime) -> list[tuple[int, int, int]]:
    """(org id, user id, reveals) for every user who revealed anything in the last hour."""
    rows = (
        AuditEvent.objects.filter(action=REVEAL_ACTION, at__gt=now - WINDOW, at__lte=now)
        .exclude(org_id=None)
        .exclude(actor_id=None)
        .values("org_id", "actor_id")
        .annotate(n=Count("id"))
    )
    return [(r["org_id"], r["actor_id"], r["n"]) for r in rows]


def watch_reveals(now: datetime | None = None) -> bool:
    """Raise one alert per user over the limit, at most once an hour per user. Returns whether
    an alert was raised."""
    now = now or clock.now()
    raised = False
    for org_id, user_id, count in reveals_in_window(now):
        org = Organisation.objects.filter(pk=org_id, is_active=True).first()
        if org is None or count <= policy.value(org, "reveal_watch_limit"):
            continue
        if RevealWatch.objects.filter(
            org_id=org_id, user_id=user_id, alerted_at__gt=now - WINDOW
        ).exists():
            continue
        raise_reveal_alert(org=org, user_id=user_id, count=count, now=now)
        raised = True
    return raised


@transaction.atomic
def raise_reveal_alert(*, org: Organisation, user_id: int, count: int, now: datetime) -> Alert:
    alert = new_alert(org=org, kind=ALERT_KIND)
    watch = RevealWatch.objects.create(
        org=org, user_id=user_id, count=count, alerted_at=now, alert_id=alert.pk
    )
    others = Membership.objects.filter(org=org, is_active=True, role__in=COORDINATING).exclude(
        user_id=user_id
    )
    for membership in others.order_by("pk"):
        recipient = for_membership(membership)
        for point in recipient.points if recipient else []:
            language = language_for(point, org)
            message = queue_message(
                org=org,
                contact_point=point,
                template="reveal_watch",
                context={"alert": alert.number},
                priority=Priority.NORMAL,
                reason=f"alert:{alert.number}",
                language=language,
                cause_ids={"alert": alert.pk, "reveal_watch": watch.pk},
            )
            AlertNotification.objects.create(
                org=org,
                alert=alert,
                step=0,
                role="coordinator",
                membership=membership,
                contact_point=point,
                message=message,
                template="reveal_watch",
            )
    audit.record(
        "reveal.watch",
        org_id=org.pk,
        obj=alert,
        detail={
            "user": user_id,
            "reveals": count,
            "limit": policy.value(org, "reveal_watch_limit"),
        },
    )
    return alert
