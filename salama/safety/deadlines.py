"""Deadlines and heightened mode: recomputing people's next check-in deadlines when what they
depend on changes, turning heightened mode on, renewing and ending it (and the worker job that
ends it after 72 hours), and the sweep's finders that flip people past their deadline to
overdue with conditional updates (salama.alerts.sweep escalates them)."""

from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.http import HttpRequest

from salama.accounts import audit
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.people.models import Area, Person
from salama.safety.models import Heightened
from salama.safety.periods import HEIGHTENED_LIFETIME, due_base, next_due_for

# --- Heightened mode and deadlines ------------------------------------------------------------


def _deadline_fields(person: Person, now: datetime) -> list[str]:
    """Recompute next_due_at from the last contact; clear is_overdue when the new deadline is
    ahead (a stale contact whose deadline has passed keeps the person overdue)."""
    person.next_due_at = next_due_for(person, due_base(person))
    if person.next_due_at is None or person.next_due_at > now:
        person.is_overdue = False
    return ["next_due_at", "is_overdue"]


def recompute_deadlines(persons: Iterable[Person], now: datetime | None = None) -> int:
    """Recompute next_due_at (and clear is_overdue where due moved ahead) for these persons,
    locking their rows. Call inside the transaction that changed what deadlines depend on."""
    now = now or clock.now()
    ids = [p.pk for p in persons]
    changed = []
    for person in Person.objects.select_for_update().select_related("org").filter(pk__in=ids):
        before = (person.next_due_at, person.is_overdue)
        _deadline_fields(person, now)
        if (person.next_due_at, person.is_overdue) != before:
            changed.append(person)
    Person.objects.bulk_update(changed, ["next_due_at", "is_overdue"])
    return len(changed)


def _heightened_persons(org: Organisation, area_ids: list[int]) -> Iterable[Person]:
    persons = Person.objects.for_org(org).filter(is_active=True)
    return persons.filter(area_id__in=area_ids) if area_ids else persons


@transaction.atomic
def set_heightened(
    *,
    org: Organisation,
    areas: Iterable[Area] = (),
    started_by: Membership | None = None,
    request: HttpRequest | None = None,
) -> Heightened:
    """Turn heightened mode on (no areas: the whole organisation), or renew the same one for
    another 72 hours. Deadlines are recomputed at once, in this transaction."""
    now = clock.now()
    area_ids = sorted(a.pk for a in areas if a.org_id == org.pk)
    mode = None
    for candidate in Heightened.objects.for_org(org).filter(ended_at=None, expires_at__gt=now):
        if sorted(candidate.areas.values_list("pk", flat=True)) == area_ids:
            mode = candidate
    if mode is None:
        mode = Heightened.objects.create(
            org=org, started_by=started_by, started_at=now, expires_at=now + HEIGHTENED_LIFETIME
        )
        mode.areas.set(area_ids)
    else:
        mode.expires_at = now + HEIGHTENED_LIFETIME
        mode.save(update_fields=["expires_at"])
    recompute_deadlines(_heightened_persons(org, area_ids), now)
    audit.record(
        "heightened.set", org_id=org.pk, obj=mode, request=request, detail={"areas": area_ids}
    )
    return mode


@transaction.atomic
def end_heightened(
    *, mode: Heightened, ended_by: Membership | None = None, request: HttpRequest | None = None
) -> None:
    now = clock.now()
    if not Heightened.objects.filter(pk=mode.pk, ended_at=None).update(ended_at=now):
        return
    area_ids = list(mode.areas.values_list("pk", flat=True))
    recompute_deadlines(_heightened_persons(mode.org, area_ids), now)
    audit.record("heightened.end", org_id=mode.org_id, obj=mode, request=request)


def expire_heightened() -> bool:
    """Worker job: end heightened modes past their 72 hours and lengthen deadlines again."""
    did = False
    for mode in Heightened.objects.filter(ended_at=None, expires_at__lte=clock.now()):
        end_heightened(mode=mode)
        did = True
    return did


def active_heightened(org: Organisation) -> list[Heightened]:
    return list(
        Heightened.objects.for_org(org)
        .filter(ended_at=None, expires_at__gt=clock.now())
        .prefetch_related("areas")
    )


# --- The sweep (F4 escalates; these find and flip) ------------------------------------------


def overdue_people(org: Organisation | None, now: datetime | None = None) -> "list[Person]":
    """Active persons past their deadline and not yet marked, earliest first (partial index
    person_due_active). Persons who left the sweep have next_due_at NULL."""
    now = now or clock.now()
    query = Person.objects.filter(is_active=True, next_due_at__isnull=False, next_due_at__lt=now)
    if org is not None:
        query = query.filter(org_id=org.pk)
    return list(query.filter(is_overdue=False).order_by("next_due_at"))


def mark_overdue(*, person: Person, now: datetime | None = None) -> bool:
    """Flip one person to overdue with a conditional update; True only for the caller that
    flipped it (two sweeps never both act)."""
    now = now or clock.now()
    return bool(
        Person.objects.filter(
            pk=person.pk, is_active=True, is_overdue=False, next_due_at__lt=now
        ).update(is_overdue=True)
    )


def mark_overdue_batch(*, now: datetime | None = None, limit: int = 500) -> list[Person]:
    """Flip the active persons past their deadline (earliest first, at most `limit`) to overdue
    with ONE conditional `UPDATE … RETURNING id`, and return those this call flipped (id,
    org_id, area_id and next_due_at loaded). The condition is checked again on each row as it is
    updated, so of two sweeps at once only one flips a person, as with `mark_overdue`."""
    now = now or clock.now()
    table = connection.ops.quote_name(Person._meta.db_table)
    due = "is_active AND NOT is_overdue AND next_due_at IS NOT NULL AND next_due_at < %s"
    at = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"UPDATE {table} SET is_overdue = %s WHERE {due} AND id IN "  # noqa: S608 - no input
        f"(SELECT id FROM {table} WHERE {due} ORDER BY next_due_at LIMIT %s) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, at, at, int(limit)])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    fields = ("id", "org", "area", "next_due_at")
    return list(Person.objects.filter(pk__in=ids).only(*fields).order_by("next_due_at", "pk"))
