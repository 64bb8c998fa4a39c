"""Creating alerts: numbering, opening a life-safety alert and telling, at once and in parallel,
everyone step 0 of the ladder names (the person's leads and deputies, the area's local
responders, the coordinator on duty; see salama.alerts.ladder for the steps after it); the text
of an alert and who may be asked to acknowledge it; notifying recipients and recording who got
what; the sender's receipt; and a worse report changing an open alert's word. Every message is
queued through the outbox in the transaction that causes it."""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Max

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Organisation
from salama.alerts import hooks
from salama.alerts.common import (
    COORDINATORS_ONLY,
    DURESS_WORD,
    RANK,
    STATUS_OF_KIND,
    escalate_after,
)
from salama.alerts.models import (
    LIFE_SAFETY_KINDS,
    Alert,
    AlertKind,
    AlertNotification,
    AlertState,
    Severity,
)
from salama.alerts.routing import Recipient, life_safety_recipients, usable_points
from salama.lib import clock
from salama.messaging import texts
from salama.messaging.models import Message, Priority
from salama.messaging.outbox import language_for, queue_message
from salama.people.models import ContactPoint, Person, Status

# --- Creating alerts ----------------------------------------------------------------------------


def _next_number(org: Organisation) -> int:
    # The organisation row is the lock: numbers are handed out one at a time per organisation.
    Organisation.objects.select_for_update().filter(pk=org.pk).first()
    last = Alert.objects.filter(org=org).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def new_alert(*, org: Organisation, kind: str, **fields: object) -> Alert:
    now = clock.now()
    severity = Severity.LIFE_SAFETY if kind in LIFE_SAFETY_KINDS else Severity.ROUTINE
    alert = Alert(
        org=org,
        kind=kind,
        severity=severity,
        opened_at=now,
        last_action="opened",
        last_action_at=now,
        **fields,
    )
    alert.number = _next_number(org)
    alert.save()
    hooks.alert_changed(alert=alert, change="opened")
    return alert


def _first_status(kind: str, checkin: object | None) -> str:
    status: object = STATUS_OF_KIND.get(AlertKind(kind)) or getattr(checkin, "status", None)
    return str(status or "")


def current_status(alert: Alert) -> str:
    """The worst report the alert stands for (alerts older than `status` read their check-in)."""
    if alert.status:
        return alert.status
    status = STATUS_OF_KIND.get(AlertKind(alert.kind))
    if status is None and alert.checkin_id is not None:
        from salama.safety.models import CheckIn

        status = (
            CheckIn.objects.filter(pk=alert.checkin_id).values_list("status", flat=True).first()
        )
    return str(status or "")


def _status_word(alert: Alert, language: str) -> str:
    """The organisation's word: for duress its agreed neutral word, never what was sent."""
    if alert.kind == AlertKind.DURESS:
        return texts.status_word(DURESS_WORD, language, alert.org)
    return texts.status_word(current_status(alert) or Status.NEED_HELP, language, alert.org)


def alert_context(alert: Alert, language: str) -> dict[str, object]:
    """The fields of an alert's text: its number, the codename and the status word. Never a
    note, an area or a place."""
    return {
        "alert": alert.number,
        "codename": alert.person.codename if alert.person else "?",
        "status": _status_word(alert, language),
        "count": alert.silent_count,
    }


def may_acknowledge(alert: Alert, recipient: Recipient) -> bool:
    """Whether this recipient may take the alert by `OK n`: a coordinator always; a lead,
    deputy or responder on the roster unless the alert is for coordinators only. A phone of
    nobody (an ambulance point's) or another membership (a focal point) may not."""
    if recipient.membership is not None:
        return recipient.membership.is_active and recipient.membership.role in COORDINATING
    return recipient.person is not None and alert.kind not in COORDINATORS_ONLY


def _template_for(alert: Alert, recipient: Recipient, template: str) -> str:
    """Who cannot acknowledge is not asked to reply "OK n"."""
    if template == "alert_life_safety" and not may_acknowledge(alert, recipient):
        return "alert_life_safety_info"
    return template


def notify(
    alert: Alert, recipients: list[Recipient], *, step: int, template: str, priority: int
) -> list[AlertNotification]:
    """Queue `template` to every contact point of every recipient, and record who got what.
    Who may not acknowledge gets `alert_life_safety_info` instead of `alert_life_safety`."""
    rows = []
    for recipient in recipients:
        key = _template_for(alert, recipient, template)
        for point in recipient.points:
            language = language_for(point, alert.org)
            message = queue_message(
                org=alert.org,
                contact_point=point,
                template=key,
                context=alert_context(alert, language),
                priority=priority,
                reason=f"alert:{alert.number}",
                language=language,
                cause_ids={"alert": alert.pk, "step": step},
            )
            rows.append(
                AlertNotification(
                    org_id=alert.org_id,
                    alert=alert,
                    step=step,
                    role=recipient.role,
                    membership=recipient.membership,
                    person=recipient.person,
                    contact_point=point,
                    message=message,
                    template=key,
                )
            )
    return AlertNotification.objects.bulk_create(rows)


def sender_receipt(alert: Alert) -> tuple[str, dict[str, datetime]]:
    """What the sender is told, and nothing more: "received 03:11, not yet seen", then
    "seen 03:14" once someone acknowledged. Never a promise that help is coming."""
    if alert.acknowledged_at is not None:
        return "alert_ack_seen", {"time": alert.acknowledged_at}
    return "reply_received", {"time": alert.opened_at}


def reply_to_sender(alert: Alert) -> Message | None:
    if alert.quiet_to_sender or alert.contact_point is None:
        return None
    template, context = sender_receipt(alert)
    message = queue_message(
        org=alert.org,
        contact_point=alert.contact_point,
        template=template,
        context=context,
        priority=Priority.LIFE_SAFETY,
        reason=f"reply:alert:{alert.number}",
        cause_ids={"alert": alert.pk},
    )
    AlertNotification.objects.create(
        org_id=alert.org_id,
        alert=alert,
        step=alert.escalation_step,
        role="sender",
        person=alert.person,
        contact_point=alert.contact_point,
        message=message,
        template=template,
    )
    return message


@transaction.atomic
def raise_life_safety(
    *,
    org: Organisation,
    kind: str,
    person: Person | None = None,
    checkin: object | None = None,
    area: object | None = None,
    contact_point: ContactPoint | None = None,
    quiet_to_sender: bool = False,
    phone_persons: Sequence[Person] = (),
) -> Alert:
    """Open a life-safety alert and tell, at once and in parallel, everyone step 0 names (see
    the module docstring); tell the sender the alert was received. An open, unacknowledged
    alert of the same kind for the same person is reused (a second HELP is not a second
    alarm); the sender is told again. A worse report than the alert's (HELP after SAFE from a
    detained person's phone) changes its word and tells everyone told so far once more.
    `phone_persons`: the persons of a shared phone whose call names nobody (their leads and
    areas are told)."""
    if kind not in LIFE_SAFETY_KINDS:
        raise ValueError(f"not a life-safety kind: {kind}")
    now = clock.now()
    area_id = getattr(area, "pk", None) or (person.area_id if person else None)
    checkin_id = getattr(checkin, "pk", None)
    if contact_point is None and checkin is not None:
        contact_point = getattr(checkin, "contact_point", None)
    if person is not None:
        existing = (
            Alert.objects.filter(org=org, person=person, kind=kind, state=AlertState.OPEN)
            .select_related("org", "person")
            .first()
        )
        if existing is not None:
            if contact_point is not None and not quiet_to_sender:
                existing.contact_point = contact_point
            _worsen(existing, checkin)
            reply_to_sender(existing)
            return existing
    alert = new_alert(
        org=org,
        kind=kind,
        person=person,
        area_id=area_id,
        checkin_id=checkin_id,
        status=_first_status(kind, checkin),
        contact_point=contact_point,
        quiet_to_sender=quiet_to_sender or kind == AlertKind.DURESS,
        next_escalation_at=now + escalate_after(),
    )
    sender_points = {contact_point.pk} if contact_point is not None else set()
    if person is not None:
        sender_points |= set(person.contact_points.values_list("pk", flat=True))
    recipients = life_safety_recipients(
        org=org,
        person=person,
        area_id=area_id,
        at=now,
        coordinators_only=kind in COORDINATORS_ONLY,
        exclude_points=sender_points,
        phone_persons=list(phone_persons),
    )
    notify(alert, recipients, step=0, template="alert_life_safety", priority=Priority.LIFE_SAFETY)
    reply_to_sender(alert)
    audit.record(
        "alert.raise",
        org_id=org.pk,
        obj=alert,
        detail={"kind": kind, "person": person.pk if person else None, "checkin": checkin_id},
    )
    return alert


def _told_so_far(alert: Alert) -> list[Recipient]:
    """Everyone an alert's texts went to (not its sender), at the points that may still
    receive, one recipient per membership, person or phone."""
    rows = (
        AlertNotification.objects.for_org(alert.org_id)
        .filter(alert=alert, contact_point__isnull=False)
        .exclude(role="sender")
        .select_related("membership", "person", "contact_point")
        .order_by("pk")
    )
    found: dict[str, Recipient] = {}
    for row in rows:
        point = row.contact_point
        assert point is not None
        if row.membership_id is not None:
            key = f"m:{row.membership_id}"
        else:
            key = f"p:{row.person_id}" if row.person_id is not None else f"c:{point.pk}"
        recipient = found.setdefault(
            key, Recipient(role=row.role, key=key, membership=row.membership, person=row.person)
        )
        if all(p.pk != point.pk for p in recipient.points):
            recipient.points.append(point)
    for recipient in found.values():
        recipient.points = usable_points(recipient.points)
    return [r for r in found.values() if r.points]


def _worsen(alert: Alert, checkin: object | None) -> bool:
    """A report worse than the open alert's word: the word changes (a conditional update, so
    it happens once) and everyone told so far is told again with it."""
    status = str(getattr(checkin, "status", "") or "")
    current = current_status(alert)
    if alert.kind == AlertKind.DURESS or RANK.get(status, -1) <= RANK.get(current, -1):
        return False
    changed = Alert.objects.filter(pk=alert.pk, state=AlertState.OPEN, status=alert.status).update(
        status=status, last_action="worse", last_action_at=clock.now()
    )
    if not changed:
        return False
    alert.status = status
    notify(
        alert,
        _told_so_far(alert),
        step=alert.escalation_step,
        template="alert_life_safety",
        priority=Priority.LIFE_SAFETY,
    )
    audit.record("alert.worse", org_id=alert.org_id, obj=alert, detail={"status": status})
    return True
