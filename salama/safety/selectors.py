"""Reads for the accountability board. The board reads Person's current-state columns only,
never the check-in history (that is for one person's timeline)."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import QueryDict

from salama.accounts.models import Organisation
from salama.lib import clock
from salama.people.models import Certainty, DecisionKind, Person, Status
from salama.safety.models import CheckIn, Decision, Event

# Persons out of the sweep (DESIGN §5): confirmed killed, evacuated.
OUT_OF_SWEEP = Q(decision=DecisionKind.EVACUATED) | Q(
    decision=DecisionKind.KILLED, decision_certainty=Certainty.CONFIRMED
)


@dataclass
class Filters:
    team: int | None = None
    area: int | None = None
    facility: int | None = None

    @classmethod
    def from_query(cls, query: QueryDict) -> "Filters":
        def number(name: str) -> int | None:
            value = query.get(name, "")
            return int(value) if value.isdigit() else None

        return cls(team=number("team"), area=number("area"), facility=number("facility"))

    def apply(self, persons: QuerySet[Person]) -> QuerySet[Person]:
        if self.team:
            persons = persons.filter(team_id=self.team)
        if self.area:
            persons = persons.filter(area_id=self.area)
        if self.facility:
            persons = persons.filter(home_facility_id=self.facility)
        return persons

    def query(self) -> str:
        parts = [f"{k}={v}" for k, v in vars(self).items() if v]
        return "&".join(parts)


def board_people(org: Organisation, filters: Filters) -> QuerySet[Person]:
    return filters.apply(Person.objects.for_org(org).filter(is_active=True))


def open_events(org: Organisation) -> list[Event]:
    return list(
        Event.objects.for_org(org)
        .filter(closed_at=None)
        .prefetch_related("areas")
        .order_by("-started_at", "-id")
    )


NO_EVENT = 0  # the coordinator's choice "no event": the board shows no event's headline


def current_event(org: Organisation, choice: int | None = None) -> Event | None:
    """The event the board follows: the open event the coordinator chose (`choice`, an id),
    none if they chose NO_EVENT, else (no choice, or the chosen one has closed) the newest open
    event."""
    if choice == NO_EVENT:
        return None
    events = open_events(org)
    chosen = [e for e in events if e.pk == choice] or events
    return chosen[0] if chosen else None


def overdue_q(now: datetime) -> Q:
    return Q(is_overdue=True) | Q(next_due_at__lt=now)


@dataclass
class Summary:
    total: int
    counts: dict[str, int]
    event: Event | None = None
    heard_since: int = 0
    event_area_total: int = 0
    event_area_heard: int = 0
    event_area_ids: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def board_summary(
    org: Organisation, filters: Filters, now: datetime | None = None, choice: int | None = None
) -> Summary:
    """Counts by state and by accountability in one aggregate query (plus one for the event's
    areas). `choice`: the event the coordinator chose (current_event)."""
    now = now or clock.now()
    people = board_people(org, filters)
    in_sweep = ~OUT_OF_SWEEP
    undecided = Q(decision="")
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "fresh": Count("pk", filter=in_sweep & Q(heard_at__isnull=False) & ~overdue_q(now)),
        "overdue": Count("pk", filter=in_sweep & Q(heard_at__isnull=False) & overdue_q(now)),
        "never": Count("pk", filter=in_sweep & Q(heard_at__isnull=True)),
        "out": Count("pk", filter=OUT_OF_SWEEP),
        "no_state": Count("pk", filter=undecided & Q(state="")),
        "contact_since": Count("pk", filter=Q(contact_since_decision_at__isnull=False)),
    }
    for status in Status.values:
        aggregates[status] = Count("pk", filter=undecided & Q(state=status))
    for kind in DecisionKind.values:
        aggregates[kind] = Count("pk", filter=Q(decision=kind))
    event = current_event(org, choice)
    if event is not None:
        aggregates["heard_since"] = Count("pk", filter=Q(heard_at__gte=event.started_at))
    counts = people.aggregate(**aggregates)
    summary = Summary(total=counts.pop("total"), counts=counts, event=event)
    if event is not None:
        summary.heard_since = counts.pop("heard_since")
        area_ids = [a.pk for a in event.areas.all()]
        summary.event_area_ids = area_ids
        if area_ids:
            scoped = people.filter(area_id__in=area_ids).aggregate(
                total=Count("pk"), heard=Count("pk", filter=Q(heard_at__gte=event.started_at))
            )
            summary.event_area_total, summary.event_area_heard = scoped["total"], scoped["heard"]
    return summary


def board_version(
    org: Organisation, filters: Filters, now: datetime | None = None, choice: int | None = None
) -> str:
    """A cheap token that changes when anything the board shows changes: current-state columns
    (aggregated), the open events, and the quarter hour (so ages and deadlines refresh)."""
    now = now or clock.now()
    people = board_people(org, filters).aggregate(
        n=Count("pk"),
        last=Max("pk"),
        checkin=Max("state_checkin_id"),
        heard=Max("heard_at"),
        decided=Max("decision_at"),
        decisions=Count("pk", filter=~Q(decision="")),
        contact=Max("contact_since_decision_at"),
        overdue=Count("pk", filter=overdue_q(now)),
        due=Max("next_due_at"),
        areas=Count("area_id"),
        moved=Max("area_id"),
    )
    events = Event.objects.for_org(org).aggregate(
        n=Count("pk"), last=Max("pk"), open=Count("pk", filter=Q(closed_at=None))
    )
    from salama.safety import hooks

    alerts = hooks.alert_counts(org_id=org.pk)  # the life-safety banner redraws with the board
    cards = [card.version for card in hooks.board_cards(org_id=org.pk) if card is not None]
    quarter = int(now.timestamp() // 900)
    raw = repr(
        (
            sorted(people.items()),
            sorted(events.items()),
            alerts,
            cards,
            quarter,
            filters.query(),
            choice,
        )  # fmt: skip
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def not_heard_since(people: QuerySet[Person], since: datetime) -> QuerySet[Person]:
    """Sorted by silence: never heard first, then the longest silent."""
    return (
        people.exclude(OUT_OF_SWEEP)
        .filter(Q(heard_at__lt=since) | Q(heard_at__isnull=True))
        .order_by(
            "heard_at",
            "codename",
        )
    )


def overdue_list(people: QuerySet[Person], now: datetime) -> QuerySet[Person]:
    return (
        people.exclude(OUT_OF_SWEEP)
        .filter(overdue_q(now), heard_at__isnull=False)
        .order_by("heard_at", "codename")
    )


def map_data(people: QuerySet[Person], org: Organisation, since: datetime | None) -> list[dict]:
    """Per area: where it is, how many people, how many heard (since the event, or fresh), how
    many overdue and how many calling for help; plus facilities with their staff counts."""
    from salama.people.models import Area, Facility

    now = clock.now()
    heard = Q(heard_at__gte=since) if since else (Q(heard_at__isnull=False) & ~overdue_q(now))
    per_area = {
        row["area_id"]: row
        for row in people.values("area_id").annotate(
            total=Count("pk"),
            heard=Count("pk", filter=heard),
            overdue=Count("pk", filter=overdue_q(now) & ~OUT_OF_SWEEP),
            help=Count("pk", filter=Q(state__in=[Status.NEED_HELP, Status.INJURED], decision="")),
        )
    }
    items: list[dict] = []
    for area in Area.objects.for_org(org).exclude(latitude=None):
        row = per_area.get(area.pk, {})
        items.append(
            {
                "kind": "area",
                "name": area.name_en,
                "name_ar": area.name_ar,
                "lat": area.latitude,
                "lon": area.longitude,
                "polygon": area.polygon or None,  # its own outline, drawn without a tile server
                "total": row.get("total", 0),
                "heard": row.get("heard", 0),
                "overdue": row.get("overdue", 0),
                "help": row.get("help", 0),
            }
        )
    staff = dict(
        people.values("home_facility_id")
        .annotate(n=Count("pk"))
        .values_list("home_facility_id", "n")
    )
    for facility in Facility.objects.for_org(org).exclude(latitude=None):
        items.append(
            {
                "kind": "facility",
                "name": facility.name,
                "name_ar": facility.name_ar or facility.name,
                "lat": facility.latitude,
                "lon": facility.longitude,
                "total": staff.get(facility.pk, 0),
                "functionality": facility.functionality,
            }
        )
    return items


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # checkin | decision | cleared | event
    item: Any


def timeline(person: Person, limit: int = 200) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(c.effective_at, "checkin", c)
        for c in CheckIn.objects.filter(person=person).select_related("area")[:limit]
    ]
    decisions = Decision.objects.filter(person=person).select_related(
        "made_by__user", "cleared_by__user"
    )
    for d in decisions[:limit]:
        entries.append(TimelineEntry(d.made_at, "decision", d))
        if d.cleared_at:
            entries.append(TimelineEntry(d.cleared_at, "cleared", d))
    earliest = min([e.at for e in entries] + [person.created_at])
    for e in Event.objects.filter(org_id=person.org_id, started_at__gte=earliest):
        entries.append(TimelineEntry(e.started_at, "event", e))
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]


def held_safe(person: Person) -> CheckIn | None:
    """The newest SAFE kept beside the person's open call for help (record_checkin, rule 3a):
    shown to a coordinator next to the call, never as the person's state. None once the call
    is closed (the hold has ended)."""
    from salama.safety import hooks

    if person.state not in (Status.NEED_HELP, Status.INJURED):
        return None
    if hooks.open_call_for_help(person) is None:
        return None
    held = CheckIn.objects.filter(person=person, is_held=True)
    if person.state_at is not None:
        held = held.filter(received_at__gte=person.state_at)
    return held.select_related("recorded_by__user").order_by("-received_at", "-id").first()
