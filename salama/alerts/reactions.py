"""What alerts does when something happens elsewhere: the hooks the check-in and decision paths
call (salama.safety.hooks: a call for help, contact after a decision or from a compromised
number raises a life-safety alert; a detained or missing person's login ends), a phone marked
seized, and the routine alerts the gateways and the message budget raise (salama.messaging.hooks)
for the coordinators on duty."""

from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.models import ApiToken, Membership, Organisation, UserSession
from salama.alerts.common import AlertError
from salama.alerts.models import LIFE_SAFETY_KINDS, Alert, AlertKind, Escalation
from salama.alerts.raising import new_alert, notify, raise_life_safety
from salama.lib import clock
from salama.messaging.models import Priority
from salama.people.models import ContactPoint, ContactState, DecisionKind, Person, Status

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
