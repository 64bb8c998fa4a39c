"""What alerts does for a text: the ``OK <n>`` command it registers in the text protocol
(salama.messaging.commands), and the messaging hooks it provides when a text from an unknown,
seized, silenced or shared number asks for help (salama.messaging.hooks). Registered from
AlertsConfig.ready()."""

from __future__ import annotations

from salama.accounts import audit
from salama.accounts.models import Organisation
from salama.alerts.models import Alert, AlertKind, AlertState
from salama.alerts.routing import coordinators_now
from salama.alerts.services import (
    AlertError,
    acknowledge,
    new_alert,
    notify,
    raise_life_safety,
    reply_to_sender,
    text_acknowledger,
)
from salama.lib import clock
from salama.messaging.commands import Command
from salama.messaging.handler import Context, Outcome, ask_back, reply
from salama.messaging.models import InboundMessage, Priority
from salama.people.models import ContactPoint, Person, Status
from salama.safety.models import CheckIn

DANGER_KIND = {Status.NEED_HELP: AlertKind.NEED_HELP, Status.INJURED: AlertKind.INJURED}


def acknowledge_by_text(ctx: Context) -> Outcome | None:
    """``OK <n>``: from whom alerts.services.text_acknowledger allows, the alert is theirs (or
    "already taken"); from anyone else it is asked back like any unknown command."""
    if ctx.parsed.kind != "acknowledge":
        return None
    number = ctx.parsed.alert_number or 0
    shared = ctx.point.is_shared or len(ctx.persons) > 1
    person = ctx.persons[0] if ctx.persons and not shared else None
    alert = Alert.objects.for_org(ctx.org).filter(number=number).select_related("org").first()
    who = text_acknowledger(alert, point=ctx.point, persons=ctx.persons, membership=ctx.membership)
    if who is None:
        return ask_back(ctx, "unknown_word", person)
    by, acker = who
    taken = True
    if alert is not None and alert.state == AlertState.OPEN:
        try:
            taken = not acknowledge(alert=alert, by=by, person=acker, via="sms")
        except AlertError:
            taken = True
    template = "reply_ack_taken" if taken else "reply_ack"
    reply(ctx, template, {"alert": number}, person=person)
    return Outcome("acknowledge", reason="taken" if taken else "", alert=number)


ACKNOWLEDGE = Command("acknowledge", acknowledge_by_text, order=40)


def unknown_sender_help(*, inbound: InboundMessage, point: ContactPoint | None) -> int:
    """One open life-safety alert per unknown number (to the coordinators); the sender hears
    nothing of it."""
    earlier = InboundMessage.objects.for_org(inbound.org_id).filter(
        sender_hash=inbound.sender_hash, alert_id__isnull=False
    )
    open_alert = (
        Alert.objects.for_org(inbound.org_id)
        .filter(pk__in=earlier.values("alert_id"), kind=AlertKind.UNKNOWN_SENDER_HELP)
        .exclude(state=AlertState.CLOSED)
        .first()
    )
    if open_alert is None:
        open_alert = raise_life_safety(
            org=inbound.org,
            kind=AlertKind.UNKNOWN_SENDER_HELP,
            contact_point=point,
            quiet_to_sender=True,
        )
    inbound.alert_id = open_alert.pk
    return open_alert.number


def contact_ignored(
    *,
    org: Organisation,
    person: Person | None,
    point: ContactPoint,
    compromised: bool,
    checkin: CheckIn | None,
) -> int:
    """The alert a contact from a number in other hands raised (its check-in's, when one was
    kept), else a new one to the coordinators, quiet to the sender."""
    if checkin is not None:
        alert = Alert.objects.for_org(org).filter(checkin_id=checkin.pk).first()
        if alert is not None:
            return alert.number
    kind = AlertKind.COMPROMISED_CONTACT if compromised else AlertKind.CONTACT_SINCE_DECISION
    return raise_life_safety(
        org=org, kind=kind, person=person, contact_point=point, quiet_to_sender=True
    ).number


def unattributed_danger(
    *,
    inbound: InboundMessage,
    status: str,
    point: ContactPoint,
    persons: list[Person],
    replies: bool,
) -> int:
    """Help from a shared phone that names nobody: the alert goes out without a person, to the
    coordinators, the leads of every team with a person on the phone and their areas' local
    responders; a second one reuses it (the sender is told again)."""
    kind = DANGER_KIND[Status(status)]
    existing = (
        Alert.objects.for_org(inbound.org_id)
        .filter(kind=kind, person__isnull=True, contact_point=point, state=AlertState.OPEN)
        .select_related("org")
        .first()
    )
    if existing is not None:
        if replies:
            reply_to_sender(existing)
        alert = existing
    else:
        alert = raise_life_safety(
            org=inbound.org,
            kind=kind,
            contact_point=point,
            quiet_to_sender=not replies,
            phone_persons=persons,
        )
    inbound.alert_id = alert.pk  # the text is the call's note, on the alert page
    return alert.number


def checkin_alert(*, checkin: CheckIn, person: Person, status: str) -> int | None:
    """The alert this check-in raised, or the open one of its kind it joined (a second HELP)."""
    alerts = Alert.objects.for_org(checkin.org_id)
    alert = alerts.filter(checkin_id=checkin.pk).first()
    if alert is None and status in DANGER_KIND:
        alert = alerts.filter(person=person, kind=DANGER_KIND[Status(status)]).first()
        alert = alert if alert is not None and alert.state == AlertState.OPEN else None
    return alert.number if alert is not None else None


def alert_is_open(*, org: Organisation, alert_id: int | None) -> bool:
    if alert_id is None:
        return False
    return Alert.objects.for_org(org).filter(pk=alert_id).exclude(state=AlertState.CLOSED).exists()


def code_locked(
    *, org: Organisation, person: Person | None, inbound: InboundMessage, by: str, failures: int
) -> int:
    """Personal codes tried too often (messaging.services.try_personal_code): a routine alert to
    the coordinators on duty; audited with ids and counts only."""
    alert = new_alert(org=org, kind=AlertKind.CODE_LOCKED, person=person)
    recipients = coordinators_now(org, clock.now())
    notify(alert, recipients, step=0, template="code_locked", priority=Priority.NORMAL)
    audit.record(
        "personal_code.locked",
        org_id=org.pk,
        obj=alert,
        detail={"person": person.pk if person else None, "inbound": inbound.pk,
                "by": by, "failures": failures},
    )  # fmt: skip
    return alert.pk
