"""Reads for the duty page: open alerts with owner and last action, who is overdue by area and
codename, the outages, and a cheap version token for the page's polling."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from salama.accounts.models import Organisation
from salama.alerts.models import Alert, AlertKind, AlertState, OutageWindow, Severity, Shift
from salama.lib import clock
from salama.people.models import Person
from salama.safety.selectors import OUT_OF_SWEEP


def active_alerts(org: Organisation) -> QuerySet[Alert]:
    """Alerts not yet closed: life-safety first, then the newest."""
    return (
        Alert.objects.for_org(org)
        .exclude(state=AlertState.CLOSED)
        .select_related("person", "area", "owner__user", "acknowledged_by__user")
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
