"""Reads for the duty page: open alerts with owner and last action, who is overdue by area and
codename, the outages, and a cheap version token for the page's polling; for one alert's page:
who was told and what became of each text, and the sender's notes."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import Membership, Organisation
from salama.alerts import hooks
from salama.alerts.models import (
    Alert,
    AlertKind,
    AlertNotification,
    AlertState,
    OutageWindow,
    Severity,
    Shift,
)
from salama.lib import clock
from salama.messaging import texts
from salama.messaging.models import Delivery, DeliveryState, InboundMessage, Suppression
from salama.people.models import Person
from salama.safety.hooks import AlertCounts, CallForHelp
from salama.safety.models import CheckIn
from salama.safety.selectors import OUT_OF_SWEEP


def active_alerts(org: Organisation) -> QuerySet[Alert]:
    """Alerts not yet closed: life-safety first, then the newest."""
    return (
        Alert.objects.for_org(org)
        .exclude(state=AlertState.CLOSED)
        .select_related(
            "person", "area", "owner__user", "acknowledged_by__user", "acknowledged_person"
        )
        .order_by("severity", "-opened_at", "-id")
    )


def recent_closed(org: Organisation, limit: int = 10) -> list[Alert]:
    return list(
        Alert.objects.for_org(org)
        .filter(state=AlertState.CLOSED)
        .select_related("person", "closed_by__user")
        .order_by("-closed_at")[:limit]
    )


@dataclass
class AreaSilence:
    area_id: int | None
    name: str
    codenames: list[str] = field(default_factory=list)
    vouched: list[str] = field(default_factory=list)  # silence acknowledged
    outage: OutageWindow | None = None


def overdue_by_area(
    org: Organisation, language: str, now: datetime | None = None
) -> list[AreaSilence]:
    now = now or clock.now()
    outages = {o.area_id: o for o in OutageWindow.objects.for_org(org).filter(until__gt=now)}
    people = (
        Person.objects.for_org(org)
        .filter(is_active=True, is_overdue=True)
        .exclude(OUT_OF_SWEEP)
        .select_related("area")
        .annotate(vouched=Count("silence_acks", filter=Q(silence_acks__expires_at__gt=now)))
        .order_by("area__name_en", "codename")
    )
    groups: dict[int | None, AreaSilence] = {}
    for person in people:
        area = person.area
        name = (area.name_ar if language == "ar" else area.name_en) if area else "—"
        group = groups.setdefault(
            person.area_id, AreaSilence(person.area_id, name, outage=outages.get(person.area_id))
        )
        (group.vouched if person.vouched else group.codenames).append(person.codename)
    return sorted(groups.values(), key=lambda g: (-len(g.codenames), g.name))


def open_outages(org: Organisation, now: datetime | None = None) -> list[Alert]:
    """With `is_holding`: whether the area's silent still wait on it (once the hold is over
    they are reminded and counted in digests again)."""
    now = now or clock.now()
    holding = OutageWindow.objects.filter(alert=OuterRef("pk"), until__gt=now)
    return list(
        Alert.objects.for_org(org)
        .filter(kind=AlertKind.POSSIBLE_OUTAGE)
        .exclude(state=AlertState.CLOSED)
        .annotate(is_holding=Exists(holding))
        .select_related("area")
    )


def shifts_from(org: Organisation, now: datetime | None = None) -> QuerySet[Shift]:
    now = now or clock.now()
    return (
        Shift.objects.for_org(org)
        .filter(ends_at__gt=now)
        .select_related("membership__user")
        .order_by("starts_at", "id")
    )


def duty_version(org: Organisation, now: datetime | None = None) -> str:
    """Changes when anything the duty page shows changes (and every minute, for ages)."""
    now = now or clock.now()
    alerts = Alert.objects.for_org(org).aggregate(
        n=Count("pk"),
        last=Max("last_action_at"),
        live=Count("pk", filter=~Q(state=AlertState.CLOSED)),
        life=Count("pk", filter=Q(severity=Severity.LIFE_SAFETY, state=AlertState.OPEN)),
        silent=Max("silent_count"),
    )
    people = Person.objects.for_org(org).aggregate(
        overdue=Count("pk", filter=Q(is_overdue=True)), heard=Max("heard_at")
    )
    raw = repr((sorted(alerts.items()), sorted(people.items()), int(now.timestamp() // 60)))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _due_at(due: date | datetime) -> datetime:
    """A sort key in the viewer's (active) zone: a bare date counts as the start of its day."""
    if isinstance(due, datetime):
        return timezone.localtime(due).replace(tzinfo=None)
    return datetime.combine(due, time.min)


def duty_items(org: Organisation, membership: Membership) -> list[hooks.DutyItem]:
    """What higher apps have falling due for this viewer (alerts.duty_items): the overdue first,
    then the soonest. Called with the viewer's zone active; `today` is their own date. A viewer
    of another organisation gets nothing, whatever a provider answers."""
    if membership.org_id != org.pk:
        return []
    today = timezone.localdate(clock.now())
    items = [
        item
        for answer in hooks.duty_items(org_id=org.pk, membership=membership, today=today)
        for item in answer
    ]
    return sorted(items, key=lambda item: (not item.overdue, _due_at(item.due), item.key))


def duty_items_version(items: list[hooks.DutyItem]) -> str:
    raw = "|".join(f"{item.key}:{int(item.overdue)}" for item in items)
    return hashlib.sha256(raw.encode()).hexdigest()[:8]


def life_safety_counts(*, org_id: int) -> AlertCounts:
    """Open life-safety alerts (not closed) and the unowned among them (nobody acknowledged)."""
    counts = (
        Alert.objects.filter(org_id=org_id, severity=Severity.LIFE_SAFETY)
        .exclude(state=AlertState.CLOSED)
        .aggregate(open=Count("pk"), unowned=Count("pk", filter=Q(state=AlertState.OPEN)))
    )
    return AlertCounts(open=counts["open"], unowned=counts["unowned"])


# --- A person's own call for help (asked by salama.safety.hooks) --------------------------------

CALL_FOR_HELP_KINDS = (AlertKind.NEED_HELP, AlertKind.INJURED)


def _call_for_help(alert: Alert | None) -> CallForHelp | None:
    if alert is None:
        return None
    return CallForHelp(
        number=alert.number,
        opened_at=alert.opened_at,
        seen_at=alert.acknowledged_at,
        is_closed=alert.state == AlertState.CLOSED,
    )


def _calls_of(person: Person) -> QuerySet[Alert]:
    return Alert.objects.filter(
        org_id=person.org_id, person_id=person.pk, kind__in=CALL_FOR_HELP_KINDS
    )


def open_call_for_help(person: Person) -> CallForHelp | None:
    """The person's earliest call for help not yet closed (acknowledged is still open)."""
    calls = _calls_of(person).exclude(state=AlertState.CLOSED)
    return _call_for_help(calls.order_by("opened_at", "id").first())


def latest_call_for_help(person: Person) -> CallForHelp | None:
    return _call_for_help(_calls_of(person).order_by("-opened_at", "-id").first())


# --- One alert's page ---------------------------------------------------------------------------

# What each text of an alert was, in words (other keys show their help text).
TEMPLATE_WORDS = {
    "alert_life_safety": _("Call for help, asking them to reply OK and the number"),
    "alert_life_safety_info": _("Call for help, for information (no reply asked)"),
    "reply_received": _("Received, not yet seen (to the sender)"),
    "alert_ack_seen": _("Seen (to the sender)"),
    "digest_overdue": _("Not heard from (count)"),
    "outage": _("Possible outage (count)"),
}
DEAD_WORD = _("failed, no more tries")


@dataclass
class Told:
    """One row of "who was told": the notification, its delivery's state and the text in words."""

    notification: AlertNotification
    state: str  # suppressed | queued | sending | sent | delivered | failed | dead
    state_label: str
    template_label: str


def template_words(key: str) -> str:
    if key in TEMPLATE_WORDS:
        return str(TEMPLATE_WORDS[key])
    spec = texts.TEXTS.get(key)
    return str(spec.help) if spec is not None and spec.help else key


def _state(delivery: Delivery | None, stopped: bool) -> tuple[str, str]:
    if delivery is None or stopped:
        return "suppressed", str(_("suppressed"))
    if delivery.state == DeliveryState.DEAD:
        return "dead", str(DEAD_WORD)
    return delivery.state, str(DeliveryState(delivery.state).label)


def told(alert: Alert) -> list[Told]:
    """Who was told, at which step, by which text, and what became of each message: its
    latest delivery's real state (queued, sent, delivered, failed), or suppressed."""
    rows = list(
        AlertNotification.objects.for_org(alert.org_id)
        .filter(alert=alert)
        .select_related("membership__user", "person")
        .order_by("created_at", "id")
    )
    message_ids = [r.message_id for r in rows if r.message_id is not None]
    deliveries: dict[int, Delivery] = {}
    for delivery in Delivery.objects.filter(message_id__in=message_ids).order_by("pk"):
        deliveries[delivery.message_id] = delivery  # the latest one counts
    stopped = set(
        Suppression.objects.filter(
            message_id__in=message_ids, delivery__isnull=False, released_at__isnull=True
        ).values_list("message_id", flat=True)
    )
    found = []
    for row in rows:
        delivery = deliveries.get(row.message_id) if row.message_id is not None else None
        state, label = _state(delivery, row.message_id in stopped)
        found.append(Told(row, state, label, template_words(row.template)))
    return found


@dataclass
class Note:
    at: datetime
    text: str


def _reports(alert: Alert) -> QuerySet[CheckIn]:
    """The person's reports from the alert's own on (until it was closed) that carry a note."""
    reports = CheckIn.objects.filter(person_id=alert.person_id or 0, pk__gte=alert.checkin_id or 0)
    if alert.closed_at is not None:
        reports = reports.filter(received_at__lte=alert.closed_at)
    return reports.exclude(note="").exclude(note__isnull=True)


def notes(alert: Alert, limit: int = 10) -> list[Note]:
    """What the sender wrote: the notes of the person's reports from the alert's own on, and
    the texts a call without a person came in (a shared phone's, an unknown number's).
    Decrypted: shown only through services.reveal_notes, which audits it."""
    found: list[Note] = []
    if alert.person_id is not None and alert.checkin_id is not None:
        for report in _reports(alert).order_by("received_at", "pk")[:limit]:
            found.append(Note(report.received_at, str(report.note)))
    texts_in = InboundMessage.objects.for_org(alert.org_id).filter(alert_id=alert.pk)
    for inbound in texts_in.order_by("received_at", "pk")[:limit]:
        found.append(Note(inbound.received_at, str(inbound.body)))
    return found


def has_notes(alert: Alert) -> bool:
    """Whether the page offers a Reveal (decrypts nothing)."""
    if InboundMessage.objects.for_org(alert.org_id).filter(alert_id=alert.pk).exists():
        return True
    if alert.person_id is None or alert.checkin_id is None:
        return False
    return _reports(alert).exists()
