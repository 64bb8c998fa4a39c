"""Who is told: the coordinator on duty, the next on the rota, a person's leads, an area's local
responders, and at which of their contact points.

A recipient counts as reached only through a phone (an SMS contact point the outbox may send
to); e-mail goes in addition, never alone. A lead, deputy or responder under a DETAINED, MISSING
or KILLED decision is skipped whatever their numbers, and so is a contact point the outbox would
suppress (compromised, suspended, a silenced person's own phone).
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.alerts.models import DutyProfile, Shift
from salama.messaging.outbox import SILENCING_DECISIONS, is_reachable
from salama.people.models import ContactKind, ContactPoint, ContactState, LocalResponder, Person
from salama.people.services import coordinators, is_lead, leads_for

USABLE_STATES = (ContactState.ACTIVE, ContactState.PROVISIONAL)


@dataclass
class Recipient:
    role: str  # lead | responder | coordinator | sender
    key: str  # "m:<membership id>" or "p:<person id>" or "c:<contact point id>"
    membership: Membership | None = None
    person: Person | None = None
    points: list[ContactPoint] = field(default_factory=list)

    @property
    def phones(self) -> list[ContactPoint]:
        return [p for p in self.points if p.kind == ContactKind.SMS]


def usable_points(points: list[ContactPoint]) -> list[ContactPoint]:
    """The points the outbox may send to now, each once."""
    return _usable(points)


def _usable(points: list[ContactPoint]) -> list[ContactPoint]:
    seen: set[int] = set()
    kept = []
    for point in points:
        if point.pk in seen or point.state not in USABLE_STATES or not is_reachable(point):
            continue
        seen.add(point.pk)
        kept.append(point)
    return kept


def points_of_person(person: Person) -> list[ContactPoint]:
    points = list(person.contact_points.all().order_by("kind", "pk"))
    if person.membership_id is not None:
        points += list(ContactPoint.objects.filter(membership_id=person.membership_id))
    return _usable(points)


def points_of_membership(membership: Membership) -> list[ContactPoint]:
    points = list(ContactPoint.objects.filter(membership=membership).order_by("kind", "pk"))
    linked = Person.objects.filter(membership=membership).first()
    if linked is not None:
        if linked.decision in SILENCING_DECISIONS:
            return []
        points += list(linked.contact_points.all())
    return _usable(points)


def for_membership(membership: Membership, role: str = "coordinator") -> Recipient | None:
    """The membership as a recipient, or None when no phone of theirs can be reached."""
    recipient = Recipient(
        role=role,
        key=f"m:{membership.pk}",
        membership=membership,
        points=points_of_membership(membership),
    )
    return recipient if recipient.phones else None


def for_person(person: Person, role: str) -> Recipient | None:
    if person.decision in SILENCING_DECISIONS or not person.is_active:
        return None
    recipient = Recipient(role=role, key=f"p:{person.pk}", person=person)
    recipient.points = points_of_person(person)
    return recipient if recipient.phones else None


# --- The rota ---------------------------------------------------------------------------------


def _coordinating(org: Organisation | int) -> Q:
    org_id = org if isinstance(org, int) else org.pk
    return Q(org_id=org_id, membership__is_active=True, membership__role__in=COORDINATING)


def shifts_at(org: Organisation | int, at: datetime) -> list[Shift]:
    return list(
        Shift.objects.filter(_coordinating(org), starts_at__lte=at, ends_at__gt=at)
        .select_related("membership__user")
        .order_by("starts_at", "pk")
    )


def on_duty(org: Organisation | int, at: datetime) -> list[Membership]:
    """The coordinators whose shift covers `at` (several if shifts overlap)."""
    members: dict[int, Membership] = {}
    for shift in shifts_at(org, at):
        members.setdefault(shift.membership_id, shift.membership)
    return list(members.values())


def duty_or_all(org: Organisation | int, at: datetime) -> list[Membership]:
    """The coordinator on duty, or every coordinator when nobody is on the rota now."""
    return on_duty(org, at) or coordinators(org)


def next_on_rota(
    org: Organisation | int, at: datetime, exclude: set[int] | None = None
) -> Membership | None:
    """The coordinator of the next shift (starting after `at`, or covering it) who is not in
    `exclude` (membership ids already told)."""
    exclude = exclude or set()
    for shift in (
        Shift.objects.filter(_coordinating(org), ends_at__gt=at)
        .select_related("membership__user")
        .order_by("starts_at", "pk")[:50]
    ):
        if shift.membership_id not in exclude:
            return shift.membership
    return None


# --- Quiet hours ------------------------------------------------------------------------------


def zone_of(membership: Membership) -> ZoneInfo:
    profile = DutyProfile.objects.filter(membership=membership).first()
    name = profile.time_zone if profile and profile.time_zone else membership.org.time_zone
    return ZoneInfo(name)


def _inside(start: time, end: time, moment: time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # over midnight


def in_quiet_hours(membership: Membership, at: datetime) -> bool:
    """Whether routine alerts to this membership wait (quiet hours in their own time zone)."""
    profile = DutyProfile.objects.filter(membership=membership).first()
    if profile is None or profile.quiet_from is None or profile.quiet_until is None:
        return False
    if profile.quiet_from == profile.quiet_until:
        return False
    zone = ZoneInfo(profile.time_zone or membership.org.time_zone)
    return _inside(profile.quiet_from, profile.quiet_until, at.astimezone(zone).time())


# --- Life-safety recipients -------------------------------------------------------------------


def _dedupe(recipients: list[Recipient], exclude_points: set[int]) -> list[Recipient]:
    """One copy per contact point: a lead who is also the duty coordinator gets one text."""
    used = set(exclude_points)
    kept = []
    for recipient in recipients:
        recipient.points = [p for p in recipient.points if p.pk not in used]
        if not recipient.phones:
            continue
        used.update(p.pk for p in recipient.points)
        kept.append(recipient)
    return kept


def coordinators_now(org: Organisation | int, at: datetime) -> list[Recipient]:
    found = [for_membership(m) for m in on_duty(org, at)]
    reached = [r for r in found if r is not None]
    if reached:
        return reached
    everyone = [for_membership(m) for m in coordinators(org)]
    return [r for r in everyone if r is not None]


def all_coordinators(org: Organisation | int) -> list[Recipient]:
    found = [for_membership(m) for m in coordinators(org)]
    return [r for r in found if r is not None]


def leads_of(person: Person) -> list[Recipient]:
    found = [for_person(lead, "lead") for lead in leads_for(person)]
    return [r for r in found if r is not None]


def _responders(area_id: int) -> QuerySet[LocalResponder]:
    return LocalResponder.objects.filter(area_id=area_id).select_related("person", "contact_point")


def _as_recipient(responder: LocalResponder) -> Recipient | None:
    """The local responder as a recipient, or None when nothing may reach them now."""
    if responder.person is not None:
        return for_person(responder.person, "responder")
    if responder.contact_point is not None:
        points = _usable([responder.contact_point])
        if points and points[0].kind == ContactKind.SMS:
            key = f"c:{responder.contact_point.pk}"
            return Recipient(role="responder", key=key, points=points)
    return None


def responders_of(area_id: int | None) -> list[Recipient]:
    if area_id is None:
        return []
    found = [_as_recipient(responder) for responder in _responders(area_id)]
    return [r for r in found if r is not None]


def reachable_responders(area_id: int) -> set[int]:
    """The ids of the area's local responders an alert would reach now (the responders page)."""
    return {r.pk for r in _responders(area_id) if _as_recipient(r) is not None}


def life_safety_recipients(
    *,
    org: Organisation,
    person: Person | None,
    area_id: int | None,
    at: datetime,
    coordinators_only: bool,
    exclude_points: set[int],
    phone_persons: list[Person] | None = None,
) -> list[Recipient]:
    """Step 0 of a life-safety alert, all at once: the person's leads and deputies, the area's
    local responders, and the coordinator on duty. Where no lead can be reached (or the person
    has no team, or is a lead), every coordinator. `coordinators_only` (contact from a seized
    phone or since a decision) tells the coordinators only. A call from a shared phone that
    names nobody (`person` None, `phone_persons` the phone's persons) reaches the leads of
    every team with a person on the phone and the local responders of their areas."""
    recipients: list[Recipient] = []
    everyone = False
    if not coordinators_only and person is not None:
        leads = leads_of(person)
        recipients += leads
        recipients += responders_of(area_id)
        everyone = not leads or is_lead(person)
    elif not coordinators_only and phone_persons:
        leads = [lead for someone in phone_persons for lead in leads_of(someone)]
        recipients += leads
        for area in dict.fromkeys(p.area_id for p in phone_persons if p.area_id is not None):
            recipients += responders_of(area)
        everyone = not leads
    recipients += coordinators_now(org, at)
    if everyone:
        recipients += all_coordinators(org)
    return _dedupe(recipients, exclude_points)
