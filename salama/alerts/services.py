"""Alerts: raising, routing, the escalation ladder, acknowledgement and closing; the hooks the
check-in and decision paths call; a seized phone.

The ladder of a life-safety alert (ALERT_ESCALATE_AFTER apart, until acknowledged):

    step 0  at once, in parallel: the person's leads and deputies, the area's local responders,
            the coordinator on duty (every coordinator when no lead can be reached);
    step 1  the next coordinator on the rota;
    step 2+ every coordinator, repeated up to the organisation's `alert_repeats` times.

A possible outage (salama.alerts.sweep) climbs the same ladder from step 1, with its own text;
its step 0 is the sweep's announcement to the coordinator on duty and the leads.

Every message is queued through the outbox in the transaction that causes it.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import ApiToken, Membership, Organisation, UserSession
from salama.alerts.models import (
    LIFE_SAFETY_KINDS,
    Alert,
    AlertKind,
    AlertNotification,
    AlertState,
    Escalation,
    Severity,
)
from salama.alerts.routing import (
    Recipient,
    all_coordinators,
    life_safety_recipients,
    next_on_rota,
    usable_points,
)
from salama.alerts.selectors import Note, notes
from salama.lib import clock
from salama.lib.fields import seal
from salama.messaging import texts
from salama.messaging.models import Message, Priority
from salama.messaging.outbox import language_for, queue_message
from salama.people.models import ContactPoint, ContactState, DecisionKind, Person, Status
from salama.people.services import can_reveal

# Kinds that go to the coordinators only: the phone may be in other hands.
COORDINATORS_ONLY = frozenset(
    {
        AlertKind.COMPROMISED_CONTACT,
        AlertKind.CONTACT_SINCE_DECISION,
        AlertKind.UNKNOWN_SENDER_HELP,
        AlertKind.DURESS,
    }
)
STATUS_OF_KIND = {AlertKind.NEED_HELP: Status.NEED_HELP, AlertKind.INJURED: Status.INJURED}
# How bad a report is: an alert's word follows the worst one while it is open.
RANK: dict[str, int] = {Status.SAFE: 0, Status.NEED_HELP: 1, Status.INJURED: 2}
DURESS_WORD = "DURESS"  # the key of the organisation's neutral word (texts.STATUS_KEYS)
ACK_BLOCKING_DECISIONS = (DecisionKind.DETAINED, DecisionKind.MISSING, DecisionKind.KILLED)


class AlertError(ValidationError):
    pass


def escalate_after() -> timedelta:
    return timedelta(seconds=settings.ALERT_ESCALATE_AFTER)


def max_step(org: Organisation) -> int:
    return 2 + int(org.setting("alert_repeats", 2))


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


# --- Acknowledge, close, hand over --------------------------------------------------------------


def _check_actor(alert: Alert, by: Membership) -> None:
    if by.org_id != alert.org_id or not by.is_active:
        raise AlertError(_("You cannot act on this alert."))
    if Person.objects.filter(membership=by, decision__in=ACK_BLOCKING_DECISIONS).exists():
        raise AlertError(_("You cannot act on this alert."))


def _check_person(alert: Alert, person: Person) -> None:
    if person.org_id != alert.org_id or not person.is_active:
        raise AlertError(_("You cannot act on this alert."))
    if person.decision in ACK_BLOCKING_DECISIONS:
        raise AlertError(_("You cannot act on this alert."))


def text_acknowledger(
    alert: Alert | None,
    *,
    point: ContactPoint,
    persons: Sequence[Person],
    membership: Membership | None,
) -> tuple[Membership | None, Person | None] | None:
    """Who takes `alert` by an `OK n` from `point` (whose persons and membership are given):
    (login, roster person). A coordinator's or org admin's number takes any alert; otherwise
    only someone the alert was sent to, at this number or (an unshared number) as its person,
    and never an alert for coordinators only. None: they may not, and nothing changes."""
    if membership is not None and membership.is_active and membership.role in COORDINATING:
        return membership, None
    if alert is None or alert.kind in COORDINATORS_ONLY:
        return None
    told = (
        AlertNotification.objects.for_org(alert.org_id)
        .filter(alert=alert, person__isnull=False)
        .exclude(role="sender")
    )
    mine = Q(contact_point=point)
    if not point.is_shared:
        mine |= Q(person__in=[p.pk for p in persons])
    row = told.filter(mine).select_related("person").order_by("pk").first()
    if row is None or row.person is None:
        return None
    person = row.person
    logins = Membership.objects.for_org(alert.org_id)
    login = logins.filter(pk=person.membership_id, is_active=True).first()
    return login, person


@transaction.atomic
def acknowledge(
    *,
    alert: Alert,
    by: Membership | None,
    person: Person | None = None,
    via: str = "page",
    request: HttpRequest | None = None,
) -> bool:
    """Take ownership of an open alert: the repeats to others stop (a conditional update on
    state 'open', so only the first acknowledgement counts) and the sender is told "seen".
    `by` is the login, `person` the roster person who acknowledged from their number (a lead,
    deputy or responder, who may have no login). Returns False when the alert was no longer
    open."""
    if by is None and person is None:
        raise AlertError(_("You cannot act on this alert."))
    if by is not None:
        _check_actor(alert, by)
    if person is not None:
        _check_person(alert, person)
    now = clock.now()
    updated = Alert.objects.filter(pk=alert.pk, state=AlertState.OPEN).update(
        state=AlertState.ACKNOWLEDGED,
        acknowledged_by=by,
        acknowledged_person=person,
        acknowledged_at=now,
        acknowledged_via=via[:10],
        owner=by,
        next_escalation_at=None,
        last_action="acknowledged",
        last_action_at=now,
    )
    alert.refresh_from_db()
    if not updated:
        return False
    detail: dict[str, object] = {"via": via[:10]}
    if person is not None:
        detail["person"] = person.pk
    audit.record(
        "alert.acknowledge",
        org_id=alert.org_id,
        actor_id=by.user_id if by is not None else None,
        obj=alert,
        request=request,
        detail=detail,
    )
    reply_to_sender(alert)
    return True


def reveal_notes(*, alert: Alert, request: HttpRequest) -> list[Note]:
    """The sender's notes (selectors.notes), for a coordinator or org admin of the alert's
    organisation, on that one response. Writes exactly one audit row, as any reveal: action
    "reveal", the alert's person (or the alert), the field "note" and the alert's id."""
    membership = getattr(request, "membership", None)
    if not can_reveal(request) or membership is None or membership.org_id != alert.org_id:
        raise PermissionDenied
    found = notes(alert)
    audit.record(
        "reveal",
        request=request,
        obj=alert.person or alert,
        detail={"field": "note", "alert": alert.pk},
    )
    return found


@transaction.atomic
def close(*, alert: Alert, by: Membership, note: str, request: HttpRequest | None = None) -> bool:
    """Close an alert with what was done (kept encrypted). Closing an open alert acknowledges
    it too. Returns False when it was already closed."""
    _check_actor(alert, by)
    note = (note or "").strip()
    if not note:
        raise AlertError(_("Say what was done before closing the alert."))
    now = clock.now()
    was_open = alert.state == AlertState.OPEN
    fields: dict[str, object] = {
        "state": AlertState.CLOSED,
        "closed_by": by,
        "closed_at": now,
        "close_note": seal(alert.org_id, note[:2000]),
        "next_escalation_at": None,
        "last_action": "closed",
        "last_action_at": now,
    }
    updated = Alert.objects.filter(pk=alert.pk).exclude(state=AlertState.CLOSED).update(**fields)
    if updated:
        Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_by=by, acknowledged_at=now, acknowledged_via="close", owner=by
        )
    alert.refresh_from_db()
    if not updated:
        return False
    audit.record(
        "alert.close", org_id=alert.org_id, actor_id=by.user_id, obj=alert, request=request
    )
    if was_open:
        reply_to_sender(alert)
    return True


@transaction.atomic
def hand_over(
    *,
    org: Organisation,
    by: Membership,
    assignments: dict[int, Membership],
    request: HttpRequest | None = None,
) -> int:
    """A handover: every alert not yet closed is handed to a named person. All or nothing: one
    open alert without a new owner and nothing changes."""
    active = list(Alert.objects.for_org(org).exclude(state=AlertState.CLOSED).select_for_update())
    missing = [a.number for a in active if a.pk not in assignments]
    if missing:
        raise AlertError(
            _("Hand every open alert to someone: %(numbers)s has no new owner.")
            % {"numbers": ", ".join(str(n) for n in missing)}
        )
    now = clock.now()
    for alert in active:
        owner = assignments[alert.pk]
        if owner.org_id != org.pk or not owner.is_active:
            raise AlertError(_("Unknown person to hand over to."))
        alert.owner = owner
        alert.last_action, alert.last_action_at = "handed_over", now
        alert.save(update_fields=["owner", "last_action", "last_action_at"])
    audit.record(
        "alert.handover",
        org_id=org.pk,
        actor_id=by.user_id,
        request=request,
        detail={
            "alerts": [a.pk for a in active],
            "to": sorted({o.pk for o in assignments.values()}),
        },
    )
    return len(active)


# --- Hooks from the check-in and decision paths -------------------------------------------------


def person_lock_annotations() -> dict[str, Any]:
    """The safety.person_lock_annotations hook: whether the person has an open escalation,
    read in the statement that locks them, so on_checkin closes one only when there is one."""
    open_escalation = Escalation.objects.filter(person_id=OuterRef("pk"), closed_at=None)
    return {"has_open_escalation": Exists(open_escalation)}


def on_checkin(*, checkin: object, person: Person) -> Alert | None:
    """The safety.checkin_recorded hook: record_checkin calls it inside its transaction, after the
    person's state is written (the outbox must be written with its cause).

    - from a compromised number: changes nothing else; a life-safety alert to the coordinators;
    - after a decision (contact since decision): a life-safety alert to the coordinators;
    - NEED_HELP or INJURED: a life-safety alert to the leads, responders and duty coordinator;
    - a self or proxy-seen check-in that ends the person's silence closes their escalation.
    """
    from salama.safety.models import CheckIn

    assert isinstance(checkin, CheckIn)
    point = checkin.contact_point
    org = person.org
    if point is not None and point.state == ContactState.COMPROMISED:
        return raise_life_safety(
            org=org,
            kind=AlertKind.COMPROMISED_CONTACT,
            person=person,
            checkin=checkin,
            contact_point=point,
            quiet_to_sender=True,
        )
    alert = None
    if person.decision and person.decision_at and checkin.effective_at > person.decision_at:
        alert = raise_life_safety(
            org=org,
            kind=AlertKind.CONTACT_SINCE_DECISION,
            person=person,
            checkin=checkin,
            contact_point=point,
            quiet_to_sender=True,
        )
    elif checkin.status in (Status.NEED_HELP, Status.INJURED):
        kind = AlertKind.NEED_HELP if checkin.status == Status.NEED_HELP else AlertKind.INJURED
        alert = raise_life_safety(
            org=org, kind=kind, person=person, checkin=checkin, contact_point=point
        )
    # lock_person tells whether an escalation is open: most check-ins need no statement here.
    if (
        checkin.counts_as_heard
        and not person.is_overdue
        and getattr(person, "has_open_escalation", True)
    ):
        Escalation.objects.filter(person_id=person.pk, closed_at=None).update(
            closed_at=clock.now(), closed_by_checkin_id=checkin.pk
        )
    return alert


def on_decision(
    *, person: Person, kind: str, by: Membership | None, request: HttpRequest | None = None
) -> int:
    """The safety.decision_made hook (make_decision's transaction): a DETAINED or MISSING
    person with a login loses every session and API token of that login (their phone may be in
    other hands). Returns how many sessions and tokens ended."""
    if kind not in (DecisionKind.DETAINED, DecisionKind.MISSING) or person.membership_id is None:
        return 0
    user_id = Membership.objects.filter(pk=person.membership_id).values_list("user_id", flat=True)
    user = user_id.first()
    if user is None:
        return 0
    sessions, _kinds = UserSession.objects.filter(user_id=user).delete()
    tokens = ApiToken.objects.filter(user_id=user, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit.record(
        "login.ended_by_decision",
        org_id=person.org_id,
        actor_id=by.user_id if by else None,
        obj=person,
        request=request,
        detail={"user": user, "sessions": sessions, "tokens": tokens, "kind": kind},
    )
    return sessions + tokens


@transaction.atomic
def mark_phone_seized(
    *, contact_point: ContactPoint, by: Membership | None, request: HttpRequest | None = None
) -> ContactPoint:
    """ "Phone seized": the contact point is compromised at once, in one transaction. Nothing is
    sent to it any more (the outbox checks again at send time) and what comes from it changes
    nothing but raises a life-safety alert."""
    point = ContactPoint.objects.select_for_update().get(pk=contact_point.pk)
    if by is not None and by.org_id != point.org_id:
        raise AlertError(_("Unknown contact point."))
    before = point.state
    if before != ContactState.COMPROMISED:
        point.state = ContactState.COMPROMISED
        point.save(update_fields=["state"])
    audit.record(
        "contact.seized",
        org_id=point.org_id,
        actor_id=by.user_id if by else None,
        obj=point,
        request=request,
        detail={"before": before},
    )
    return point


# --- Routine alerts from the gateways and the budget (M2) ---------------------------------------


@transaction.atomic
def raise_routine(
    *,
    org: Organisation,
    kind: str,
    template: str,
    avoid_channels: tuple[str, ...] = (),
    priority: int = Priority.NORMAL,
) -> Alert:
    """Open a routine alert and tell the coordinators on duty (all of them when nobody is on
    duty) with `template`, through any of their contact points whose channel is not in
    `avoid_channels` (the gateway being warned about). Normal priority, except where the caller
    says (the budget's cap notice must not be held by the cap it announces)."""
    from salama.alerts.routing import coordinators_now
    from salama.messaging.channels import channel_for

    if kind in LIFE_SAFETY_KINDS:
        raise ValueError(f"not a routine kind: {kind}")
    alert = new_alert(org=org, kind=kind)
    recipients = coordinators_now(org, clock.now())
    for recipient in recipients:
        points = recipient.points
        recipient.points = [p for p in points if channel_for(p, org) not in avoid_channels]
    notify(alert, [r for r in recipients if r.points], step=0, template=template,
           priority=priority)  # fmt: skip
    audit.record("alert.raise", org_id=org.pk, obj=alert, detail={"kind": kind})
    return alert


def gateway_warning(
    *, org: Organisation, template: str, avoid_channels: tuple[str, ...], priority: int
) -> int:
    """The messaging.gateway_warning hook: a routine gateway warning; its alert's id."""
    return raise_routine(
        org=org, kind=AlertKind.GATEWAY_WARNING, template=template,
        avoid_channels=avoid_channels, priority=priority,
    ).pk  # fmt: skip
