"""The sweep: people past their deadline become overdue and their silence is escalated, quietly.

Each pass (the worker job `sweep_overdue`):

1. flip every person past `next_due_at` to overdue (salama.safety.services.mark_overdue, a
   conditional update) and open their one Escalation (a partial unique constraint);
2. close escalations of people no longer overdue;
3. per area: when a large share of the area (`outage_share`, 30%) went silent within one digest
   window, open ONE "possible outage" alert; that area's escalations then wait on it (no
   reminders, and they start no digest, though digests count them) until the outage window ends
   (`outage_hold_minutes`), when they are chased again like any other. Unacknowledged, the
   outage alert climbs the rota as a call for help does (salama.alerts.services.escalate_one);
4. remind the silent person where the organisation allows it (never in heightened mode or a
   high-risk area unless it opts in), once they have been overdue for one digest window: the
   window outage detection looks back over, so a network cut is seen before anyone is reminded;
5. digests: each lead and the coordinator on duty get at most one routine text per window
   (ALERT_DIGEST_WINDOW), counts only, counting everyone overdue they are told about; an outage
   not yet announced to them takes that text's place (to a lead: one that holds their own
   people). The breakdown by area and codename is on the duty page and in e-mail.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from salama.accounts.models import Membership, Organisation
from salama.alerts.models import (
    Alert,
    AlertKind,
    AlertNotification,
    AlertState,
    DigestState,
    Escalation,
    OutageWindow,
)
from salama.alerts.routing import (
    Recipient,
    duty_or_all,
    for_membership,
    for_person,
    in_quiet_hours,
)
from salama.alerts.services import escalate_after, new_alert
from salama.lib import clock
from salama.messaging.models import Priority
from salama.messaging.outbox import language_for, queue_message
from salama.people.models import Area, ContactKind, ContactPoint, Person, RiskLevel, TeamLead
from salama.safety.models import Heightened
from salama.safety.periods import heightened_applies
from salama.safety.services import active_heightened, mark_overdue_batch

DEFAULT_OUTAGE_SHARE = 0.3
DEFAULT_OUTAGE_MIN_PEOPLE = 5
DEFAULT_OUTAGE_HOLD_MINUTES = 120
HIGH_RISK = (RiskLevel.HIGH, RiskLevel.EXTREME)


def window() -> timedelta:
    return timedelta(seconds=settings.ALERT_DIGEST_WINDOW)


# --- 1, 2: flip and open ------------------------------------------------------------------------


def open_escalations(persons: list[Person], now: datetime) -> None:
    """One Escalation for each of these newly overdue persons (none where one is open: the
    partial unique constraint), each waiting on its area's outage window if one is open: two
    statements whatever the number of persons."""
    areas = {p.area_id for p in persons if p.area_id}
    outages: dict[tuple[int, int], OutageWindow] = {}
    if areas:
        windows = OutageWindow.objects.filter(
            org_id__in={p.org_id for p in persons}, area_id__in=areas, until__gt=now
        )
        for outage in windows.order_by("until", "pk"):  # the latest-ending window wins
            outages[(outage.org_id, outage.area_id)] = outage
    Escalation.objects.bulk_create(
        [
            Escalation(
                org_id=p.org_id,
                person=p,
                opened_at=now,
                due_at=p.next_due_at,
                outage=outages.get((p.org_id, p.area_id)) if p.area_id else None,
            )
            for p in persons
        ],
        ignore_conflicts=True,  # one is open already
    )


def flip_overdue(now: datetime, limit: int = 500) -> set[int]:
    """Returns the ids of organisations where someone went overdue. The flip and the
    escalations commit together: a crash between them must not leave someone overdue whom no
    escalation will ever follow (the flip happens once)."""
    with transaction.atomic():
        flipped = mark_overdue_batch(now=now, limit=limit)
        if flipped:
            open_escalations(flipped, now)
    return {p.org_id for p in flipped}


def close_ended(now: datetime) -> int:
    return (
        Escalation.objects.filter(closed_at=None)
        .filter(Q(person__is_overdue=False) | Q(person__is_active=False))
        .update(closed_at=now)
    )


# --- Which escalations count ------------------------------------------------------------------


def counted(org_id: int, now: datetime) -> QuerySet[Escalation]:
    """Open escalations that leads and coordinators are told about (a digest counts them all,
    those waiting on an outage too): the person not under a decision, their silence not
    acknowledged."""
    return (
        Escalation.objects.filter(org_id=org_id, closed_at=None)
        .filter(person__decision="", person__is_active=True)
        .exclude(person__silence_acks__expires_at__gt=now)
    )


def not_held(now: datetime) -> Q:
    """Not waiting on an outage still in force: when the hold ends, the silent are chased
    (reminded, and in digests) again."""
    return Q(outage__isnull=True) | Q(outage__until__lte=now)


def chased(org_id: int, now: datetime) -> QuerySet[Escalation]:
    """Counted escalations that reminders and new digests follow."""
    return counted(org_id, now).filter(not_held(now))


# --- 3: outage ----------------------------------------------------------------------------------


def detect_outages(org: Organisation, now: datetime) -> list[Alert]:
    share = float(org.setting("outage_share", DEFAULT_OUTAGE_SHARE))
    minimum = int(org.setting("outage_min_people", DEFAULT_OUTAGE_MIN_PEOPLE))
    hold = timedelta(minutes=int(org.setting("outage_hold_minutes", DEFAULT_OUTAGE_HOLD_MINUTES)))
    recent = (
        Escalation.objects.filter(
            org=org, closed_at=None, outage__isnull=True, opened_at__gt=now - window()
        )
        .exclude(person__area=None)
        .values("person__area")
        .annotate(n=Count("pk"))
    )
    silent_by_area = {row["person__area"]: row["n"] for row in recent}
    totals = (
        dict(
            Person.objects.filter(
                org=org, area_id__in=silent_by_area, is_active=True, next_due_at__isnull=False
            )
            .values("area_id")
            .annotate(n=Count("pk"))
            .values_list("area_id", "n")
            .order_by()
        )
        if silent_by_area
        else {}
    )
    opened = []
    for area_id, silent in silent_by_area.items():
        total = totals.get(area_id, 0)
        if total < minimum or silent < share * total:
            continue
        alert = _open_outage(org, area_id, now, hold)
        if alert is not None:
            opened.append(alert)
    _attach_to_outages(org, now)
    return opened


@transaction.atomic
def _open_outage(org: Organisation, area_id: int, now: datetime, hold: timedelta) -> Alert | None:
    Area.objects.select_for_update().filter(pk=area_id).first()  # one outage per area at a time
    if OutageWindow.objects.filter(org=org, area_id=area_id, until__gt=now).exists():
        return None
    alert = new_alert(
        org=org,
        kind=AlertKind.POSSIBLE_OUTAGE,
        area_id=area_id,
        next_escalation_at=now + escalate_after(),  # up the rota when nobody owns it
    )
    OutageWindow.objects.create(
        org=org, area_id=area_id, alert=alert, opened_at=now, until=now + hold
    )
    return alert


def _attach_to_outages(org: Organisation, now: datetime) -> None:
    """Escalations opened in an outage's area since one window before it began wait on it."""
    for outage in OutageWindow.objects.filter(org=org, until__gt=now):
        Escalation.objects.filter(
            org=org,
            closed_at=None,
            outage__isnull=True,
            person__area_id=outage.area_id,
            opened_at__gt=outage.opened_at - window(),
        ).update(outage=outage)
        if outage.alert_id:
            silent = Escalation.objects.filter(outage=outage, closed_at=None).count()
            Alert.objects.filter(pk=outage.alert_id).exclude(silent_count=silent).update(
                silent_count=silent
            )


# --- 4: reminders -------------------------------------------------------------------------------


def reminders_allowed(person: Person, modes: list[Heightened] | None = None) -> bool:
    """`modes`: the organisation's active heightened modes (salama.safety.services.
    active_heightened), when the caller has them already; else they are looked up."""
    org = person.org
    if not org.setting("overdue_reminders", True):
        return False
    high_risk = person.area is not None and person.area.risk in HIGH_RISK
    if high_risk and not org.setting("overdue_reminders_high_risk", False):
        return False
    if modes is None:
        heightened = heightened_applies(person)
    else:
        heightened = any(_covers(mode, person) for mode in modes)
    return not heightened or bool(org.setting("overdue_reminders_heightened", False))


def _covers(mode: Heightened, person: Person) -> bool:
    """As salama.safety.periods.heightened_applies: a mode with no areas covers everyone."""
    areas = {area.pk for area in mode.areas.all()}
    return not areas or person.area_id in areas


def _claim_reminders(org: Organisation, now: datetime, limit: int = 500) -> list[int]:
    """Mark up to `limit` chased escalations, open for one window or more, as reminded with one
    conditional UPDATE … RETURNING: the ids this call claimed (of two sweeps at once, one
    reminds each). A younger one may still join an outage (detect_outages looks back one
    window), and then no reminder is due."""
    due = chased(org.pk, now).filter(reminded_at=None, opened_at__lte=now - window())
    pending = list(due.values_list("pk", flat=True)[:limit])
    if not pending:
        return []
    table = connection.ops.quote_name(Escalation._meta.db_table)
    marks = ", ".join(["%s"] * len(pending))
    sql = (
        f"UPDATE {table} SET reminded_at = %s "  # noqa: S608 - ids and names, no input
        f"WHERE reminded_at IS NULL AND id IN ({marks}) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *pending])
        return [row[0] for row in cursor.fetchall()]


def send_reminders(org: Organisation, now: datetime) -> int:
    """Remind the silent persons newly counted: a fixed number of statements for any number
    of them (one claim, one load, the heightened modes, one lookup of their phones), plus the
    texts themselves."""
    claimed = _claim_reminders(org, now)
    if not claimed:
        return 0
    escalations = list(
        Escalation.objects.filter(pk__in=claimed)
        .select_related("person__area", "person__org")
        .order_by("pk")
    )
    modes = active_heightened(org)
    reminded = {e.person_id: e for e in escalations if reminders_allowed(e.person, modes)}
    if not reminded:
        return 0
    links = (
        ContactPoint.persons.through.objects.filter(
            person_id__in=reminded,
            contactpoint__kind=ContactKind.SMS,
            contactpoint__is_shared=False,
        )
        .select_related("contactpoint")
        .order_by("person_id", "contactpoint_id")
    )
    sent = 0
    for link in links:
        queue_message(
            org=org,
            contact_point=link.contactpoint,
            template="reminder",
            context={},
            priority=Priority.NORMAL,
            reason="reminder",
            cause_ids={"escalation": reminded[link.person_id].pk},
        )
        sent += 1
    return sent


# --- 5: digests ---------------------------------------------------------------------------------


@dataclass
class Scope:
    recipient: Recipient
    escalations: QuerySet[Escalation]  # everyone overdue they are told about (the count)
    outages: QuerySet[Alert]  # the outage alerts they hear of


def _holding(escalations: QuerySet[Escalation], now: datetime) -> QuerySet[Alert]:
    """The outage alerts, not closed, that hold some of these escalations now."""
    held = escalations.filter(outage__until__gt=now).values("outage__alert_id")
    return Alert.objects.filter(pk__in=held).exclude(state=AlertState.CLOSED)


def digest_scopes(org: Organisation, now: datetime, waiting: set[str] | None = None) -> list[Scope]:
    """`waiting`: recipient keys whose window is still closed; their contact points are not
    even looked up (most ticks fall inside every recipient's window)."""
    waiting = waiting or set()
    base = counted(org.pk, now)
    # Coordinators hear of every outage until one of them owns it (and it climbs the rota).
    unowned = Alert.objects.filter(org=org, kind=AlertKind.POSSIBLE_OUTAGE, state=AlertState.OPEN)
    scopes: list[Scope] = []
    for membership in duty_or_all(org, now):
        if f"m:{membership.pk}" in waiting:
            continue
        recipient = for_membership(membership)
        if recipient is not None:
            scopes.append(Scope(recipient, base, unowned))
    leads: dict[int, set[int]] = {}
    for link in TeamLead.objects.filter(org=org, team_id__in=base.values("person__team")):
        leads.setdefault(link.person_id, set()).add(link.team_id)
    open_leads = [pk for pk in leads if f"p:{pk}" not in waiting]
    for lead in Person.objects.filter(pk__in=open_leads).select_related("org"):
        recipient = for_person(lead, "lead")
        if recipient is None:
            continue
        mine = base.filter(person__team_id__in=leads[lead.pk]).exclude(person=lead)
        # A lead hears of an outage that holds their own people, owned or not.
        scopes.append(Scope(recipient, mine, _holding(mine, now)))
    return scopes


def _quiet(recipient: Recipient, now: datetime) -> bool:
    membership: Membership | None = recipient.membership
    if membership is None and recipient.person is not None and recipient.person.membership_id:
        membership = Membership.objects.filter(pk=recipient.person.membership_id).first()
    return membership is not None and in_quiet_hours(membership, now)


def breakdown(escalations: QuerySet[Escalation], language: str) -> str:
    """Per area, how many and which codenames: for the page and e-mail, never the SMS (unless
    the organisation opts in)."""
    by_area: dict[str, list[str]] = {}
    rows = escalations.select_related("person__area").order_by("person__codename")
    for escalation in rows:
        area = escalation.person.area
        name = (area.name_ar if language == "ar" else area.name_en) if area else "-"
        by_area.setdefault(name, []).append(escalation.person.codename)
    return "; ".join(f"{n}: {len(c)} ({' '.join(c)})" for n, c in sorted(by_area.items()))


def _claim_window(org: Organisation, key: str, now: datetime) -> bool:
    state, _created = DigestState.objects.get_or_create(org=org, recipient=key)
    if state.last_sent_at is not None and state.last_sent_at > now - window():
        return False
    return bool(
        DigestState.objects.filter(pk=state.pk, last_sent_at=state.last_sent_at).update(
            last_sent_at=now
        )
    )


def _waiting(org: Organisation, now: datetime) -> set[str]:
    """The recipients told within the current window: one statement for all of them."""
    recent = DigestState.objects.filter(org=org, last_sent_at__gt=now - window())
    return set(recent.values_list("recipient", flat=True))


def _last_sent(org: Organisation, key: str) -> datetime | None:
    return (
        DigestState.objects.filter(org=org, recipient=key)
        .values_list("last_sent_at", flat=True)
        .first()
    )


def _pending_outage(outages: QuerySet[Alert], recipient: Recipient) -> Alert | None:
    told = AlertNotification.objects.filter(alert__kind=AlertKind.POSSIBLE_OUTAGE)
    if recipient.membership is not None:
        told = told.filter(membership=recipient.membership)
    else:
        told = told.filter(person=recipient.person)
    return outages.exclude(pk__in=told.values("alert_id")).order_by("opened_at").first()


def send_digest(org: Organisation, scope: Scope, now: datetime) -> bool:
    recipient = scope.recipient
    last = _last_sent(org, recipient.key)
    if last is not None and last > now - window():
        return False
    outage = _pending_outage(scope.outages, recipient)
    new = scope.escalations.filter(not_held(now))
    if last is not None:  # silent since the last text, or back from an outage's hold since
        new = new.filter(Q(opened_at__gt=last) | Q(outage__until__gt=last))
    if outage is None and not new.exists():
        return False
    if _quiet(recipient, now):
        return False  # routine: quiet hours hold it (life-safety never waits)
    if not _claim_window(org, recipient.key, now):
        return False
    if outage is not None:
        _send_outage(org, outage, scope)
    else:
        _send_counts(org, scope, recipient)
    return True


def _send_outage(org: Organisation, alert: Alert, scope: Scope) -> None:
    recipient = scope.recipient
    lead = recipient.role == "lead"
    # A lead is told how many of their own people it holds, and sent to no page they cannot open.
    count = scope.escalations.filter(outage__alert=alert).count() if lead else alert.silent_count
    rows = []
    for point in recipient.points:
        language = language_for(point, org)
        context: dict[str, object] = {"count": count}
        if lead:
            template = "outage_lead"
        elif point.kind == ContactKind.EMAIL:
            template, context["area"] = "outage_detail", _area_name(alert, language)
        else:
            template = "outage"
        message = queue_message(
            org=org,
            contact_point=point,
            template=template,
            context=context,
            priority=Priority.NORMAL,
            reason=f"alert:{alert.number}",
            language=language,
            cause_ids={"alert": alert.pk},
        )
        rows.append(
            AlertNotification(
                org=org,
                alert=alert,
                role=recipient.role,
                membership=recipient.membership,
                person=recipient.person,
                contact_point=point,
                message=message,
                template=template,
            )
        )
    AlertNotification.objects.bulk_create(rows)


def _area_name(alert: Alert, language: str) -> str:
    if alert.area is None:
        return "-"
    return alert.area.name_ar if language == "ar" else alert.area.name_en


def _send_counts(org: Organisation, scope: Scope, recipient: Recipient) -> None:
    count = scope.escalations.count()
    in_sms = bool(org.setting("digest_sms_breakdown", False))
    for point in recipient.points:
        language = language_for(point, org)
        detailed = point.kind == ContactKind.EMAIL or in_sms
        context: dict[str, object] = {"count": count}
        if detailed:
            with translation.override(language):
                context["breakdown"] = breakdown(scope.escalations, language) or _("none")
        queue_message(
            org=org,
            contact_point=point,
            template="digest_overdue_detail" if detailed else "digest_overdue",
            context=context,
            priority=Priority.NORMAL,
            reason="digest",
            language=language,
            cause_ids={"count": count},
        )


# --- The job ------------------------------------------------------------------------------------


def sweep_overdue() -> bool:
    """Worker job (see the module docstring for the order)."""
    now = clock.now()
    touched = flip_overdue(now)
    closed = close_ended(now)
    org_ids = touched | set(
        Escalation.objects.filter(closed_at=None).values_list("org_id", flat=True).distinct()
    )
    did = bool(touched or closed)
    for org in Organisation.objects.filter(pk__in=org_ids, is_active=True):
        did = bool(detect_outages(org, now)) or did
        did = bool(send_reminders(org, now)) or did
        for scope in digest_scopes(org, now, waiting=_waiting(org, now)):
            did = send_digest(org, scope, now) or did
    return did
