"""Check-in periods: when a person must next be heard from.

A period is an interval ("every 24 hours") or a daily window in the organisation's local time
("once between 07:00 and 11:00"), plus grace. The organisation's default lives in
Organisation.settings; Person.period overrides it. Both are JSON of the same shape:

    {"interval_hours": 24, "grace_minutes": 60}
    {"window": "07:00-11:00", "grace_minutes": 30}

Heightened mode (for the organisation or some areas) shortens the deadline to at most
`heightened_interval_hours` (organisation setting, default 6) after the last contact, plus grace.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from salama.lib import clock
from salama.people.models import Certainty, DecisionKind, Person

DEFAULT_PERIOD: dict[str, Any] = {"interval_hours": 24, "grace_minutes": 60}
DEFAULT_HEIGHTENED_HOURS = 6
HEIGHTENED_LIFETIME = timedelta(hours=72)


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    interval: timedelta | None
    window: tuple[time, time] | None
    grace: timedelta


def parse_window(text: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError as exc:
        raise PeriodError("window must look like 07:00-11:00") from exc
    if end <= start:
        raise PeriodError("a window must end after it starts")
    return start, end


def parse_period(spec: dict[str, Any]) -> Period:
    grace = timedelta(minutes=int(spec.get("grace_minutes", 60)))
    if spec.get("window"):
        return Period(interval=None, window=parse_window(str(spec["window"])), grace=grace)
    hours = float(spec.get("interval_hours", 24))
    if hours <= 0:
        raise PeriodError("the interval must be positive")
    return Period(interval=timedelta(hours=hours), window=None, grace=grace)


def period_for(person: Person) -> Period:
    spec = person.period or person.org.setting("checkin_period") or DEFAULT_PERIOD
    return parse_period(spec)


def leaves_sweep(person: Person) -> bool:
    """Confirmed KILLED, EVACUATED and inactive persons are not swept nor counted overdue.
    "Reported killed" stays: nobody has confirmed it."""
    if not person.is_active or person.decision == DecisionKind.EVACUATED:
        return True
    return person.decision == DecisionKind.KILLED and person.decision_certainty == (
        Certainty.CONFIRMED
    )


def window_deadline(window: tuple[time, time], after: datetime, zone: ZoneInfo) -> datetime:
    """The end of the first daily window that starts after `after` (a check-in inside today's
    window satisfies today's)."""
    local = after.astimezone(zone)
    day = local.date()
    for offset in range(0, 3):
        candidate_day = day + timedelta(days=offset)
        start = datetime.combine(candidate_day, window[0], tzinfo=zone)
        if start > local:
            return datetime.combine(candidate_day, window[1], tzinfo=zone)
    raise AssertionError("unreachable")


def heightened_applies(person: Person, at: datetime | None = None) -> bool:
    from salama.safety.models import Heightened

    at = at or clock.now()
    active = Heightened.objects.filter(org_id=person.org_id, ended_at=None, expires_at__gt=at)
    scope = Q(areas=None)
    if person.area_id:
        scope |= Q(areas=person.area_id)
    return active.filter(scope).exists()


def heightened_sql(person: Person, at: datetime) -> tuple[str, list[Any]]:
    """`heightened_applies` as SQL for an EXISTS (…): a statement that must decide inside itself
    (salama.safety.services writes the deadline with it in the person's UPDATE, so the
    lookup sees every mode committed before that statement, like the lookup it replaces)."""
    from django.db import connection

    params: list[Any] = [person.org_id, connection.ops.adapt_datetimefield_value(at)]
    if person.area_id:
        params.append(person.area_id)
    key = (connection.vendor, bool(person.area_id))
    sql = _HEIGHTENED_SQL.get(key)
    if sql is None:
        sql = _HEIGHTENED_SQL[key] = _heightened_sql(connection, bool(person.area_id))
    return sql, params


_HEIGHTENED_SQL: dict[tuple[str, bool], str] = {}


def _heightened_sql(connection: Any, in_area: bool) -> str:
    from salama.safety.models import Heightened

    quote = connection.ops.quote_name
    table = quote(Heightened._meta.db_table)
    through = Heightened.areas.through._meta
    areas = quote(through.db_table)
    mode = quote(through.get_field("heightened").column)
    area = quote(through.get_field("area").column)
    scope = f"NOT EXISTS (SELECT 1 FROM {areas} a WHERE a.{mode} = h.id)"  # noqa: S608
    if in_area:
        scope += f" OR EXISTS (SELECT 1 FROM {areas} a WHERE a.{mode} = h.id AND a.{area} = %s)"  # noqa: S608
    return (
        f"SELECT 1 FROM {table} h WHERE h.org_id = %s AND h.ended_at IS NULL"  # noqa: S608
        f" AND h.expires_at > %s AND ({scope})"
    )


def due_choices(person: Person, after: datetime) -> tuple[datetime | None, datetime | None]:
    """(the deadline without heightened mode, the deadline with it) after a contact at `after`;
    (None, None) if the person has left the sweep. Which applies is `heightened_applies`."""
    if leaves_sweep(person):
        return None, None
    period = period_for(person)
    if period.window is not None:
        due = window_deadline(period.window, after, ZoneInfo(person.org.time_zone))
    else:
        assert period.interval is not None
        due = after + period.interval
    hours = float(person.org.setting("heightened_interval_hours", DEFAULT_HEIGHTENED_HOURS))
    tight = min(due, after + timedelta(hours=hours))
    return due + period.grace, tight + period.grace


def next_due_for(person: Person, after: datetime) -> datetime | None:
    """The deadline for the next check-in after a contact at `after`; None if the person has
    left the sweep."""
    plain, tight = due_choices(person, after)
    if plain is None or tight == plain:
        return plain
    return tight if heightened_applies(person) else plain


def due_base(person: Person) -> datetime:
    """What deadlines count from: the last time the person was heard from, else enrolment."""
    return person.heard_at or person.created_at
