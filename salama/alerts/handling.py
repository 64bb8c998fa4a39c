"""Handling an alert: who may take it by an `OK n` text, acknowledging it (only the first
acknowledgement counts, and the sender is told "seen"), revealing the sender's notes to a
coordinator with an audit row, closing it with what was done, and handing every alert not yet
closed over to named people at the end of a shift."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.alerts import hooks
from salama.alerts.common import ACK_BLOCKING_DECISIONS, COORDINATORS_ONLY, AlertError
from salama.alerts.models import Alert, AlertNotification, AlertState
from salama.alerts.raising import reply_to_sender
from salama.alerts.selectors import Note, notes
from salama.lib import clock
from salama.lib.fields import seal
from salama.people.models import ContactPoint, Person
from salama.people.services import can_reveal

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
    hooks.alert_changed(alert=alert, change="acknowledged")
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
    hooks.alert_changed(alert=alert, change="closed")
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
