"""The state rules (DESIGN §5). Every check-in, whatever its channel, goes through
`record_checkin`; decisions, events and heightened mode have their functions here too. Each
function runs in one transaction and locks the person rows it changes."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Field, QuerySet
from django.db.models.functions import Upper
from django.http import HttpRequest
from django.utils.translation import gettext as _

from salama.accounts import audit
from salama.accounts.access import COORDINATING
from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.lib.fields import encrypted_fields
from salama.people.models import (
    Area,
    Basis,
    Certainty,
    ContactPoint,
    ContactState,
    DecisionKind,
    Person,
    Status,
    TeamLead,
)
from salama.safety import hooks
from salama.safety.models import HEARD_BASES, Channel, CheckIn, Decision, Event, Heightened
from salama.safety.periods import (  # noqa: F401 - re-exported
    HEIGHTENED_LIFETIME,
    due_base,
    due_choices,
    heightened_sql,
    leaves_sweep,
    next_due_for,
)
from salama.safety.prepared import Prepared
from salama.safety.relay import heard_at_from, parse_relayed_entry

MAX_AHEAD = timedelta(minutes=10)
MAX_BEHIND = timedelta(hours=72)


def effective_time(device_at: datetime | None, received_at: datetime) -> tuple[datetime, bool]:
    """(effective time, flagged): the device's time unless it is more than 10 minutes ahead of
    receipt or more than 72 hours behind; then the receipt time, flagged."""
    if device_at is None:
        return received_at, False
    if device_at > received_at + MAX_AHEAD or device_at < received_at - MAX_BEHIND:
        return received_at, True
    return device_at, False


def _is_newer(checkin: CheckIn, person: Person) -> bool:
    if person.state_at is None:
        return True
    return (checkin.effective_at, checkin.pk) > (person.state_at, person.state_checkin_id or 0)


def _held_by_call(
    person: Person, basis: str, effective_at: datetime, flagged: bool, clears_help: bool
) -> bool:
    """Whether a SAFE must be held (record_checkin, rule 3a): it would replace a NEED_HELP or
    INJURED state while the person's call for help is open, and it is stale (timed before the
    call), re-timed (the device clock was off), or neither the person's own nor a lead's
    explicit "I saw them safe". Looks the call up only for a person in danger."""
    if person.state not in (Status.NEED_HELP, Status.INJURED):
        return False
    if person.state_at is not None and effective_at < person.state_at:
        return False  # older than the state: not applied anyway (rule 3)
    call = hooks.open_call_for_help(person)
    if call is None:
        return False
    if flagged or effective_at < call.opened_at:
        return True
    return not (basis == Basis.SELF or (basis == Basis.PROXY_SEEN and clears_help))


def _deadline_fields(person: Person, now: datetime) -> list[str]:
    """Recompute next_due_at from the last contact; clear is_overdue when the new deadline is
    ahead (a stale contact whose deadline has passed keeps the person overdue)."""
    person.next_due_at = next_due_for(person, due_base(person))
    if person.next_due_at is None or person.next_due_at > now:
        person.is_overdue = False
    return ["next_due_at", "is_overdue"]


def record_checkin(
    *,
    person: Person,
    status: str,
    basis: str,
    channel: str,
    received_at: datetime | None = None,
    device_at: datetime | None = None,
    note: str = "",
    recorded_by: Membership | None = None,
    source: str = "",
    heard_at: datetime | None = None,
    area: Area | None = None,
    contact_point: ContactPoint | None = None,
    contact_only: bool = False,
    locked: bool = False,
    clears_help: bool = False,
) -> CheckIn:
    """Store one check-in and apply it to the person's current state, atomically.

    1. Lock the person row (concurrent check-ins for one person queue here).
    2. Effective time: see `effective_time`.
    3. The person's state follows the check-in with the greatest (effective_at, id): a late
       check-in is stored but never overwrites a newer one.
    3a. While the person's own call for help is open (salama.safety.hooks), a SAFE is stored
       but held (``is_held``), the state left as it is, unless it is the person's own, timed
       at or after the call and not re-timed, or a lead's proxy-seen with ``clears_help`` (they
       said so on the page). A coordinator closing the alert ends the hold.
    4. A decision in force stays what everyone sees; a later check-in sets
       contact_since_decision_at beside it.
    5. Only self and proxy-seen check-ins move heard_at, next_due_at and is_overdue.
    6. From a compromised contact point a check-in is kept but changes nothing.
    7. ``contact_only`` (the text channel, for an unshared phone of a person under a DETAINED,
       MISSING or KILLED decision: it may be in other hands): kept, and recorded only as
       contact since the decision; the state, heard-from and deadlines stay.

    ``locked``: the caller has already locked ``person`` with `lock_person` in its own
    transaction and lets any error roll that transaction back (the API): no second lock and no
    savepoint, two round trips fewer on the busiest path.
    """
    if status not in Status.values:
        raise ValidationError(_("Unknown status."))
    if basis not in Basis.values:
        raise ValidationError(_("Unknown basis."))
    if channel not in Channel.values:
        raise ValidationError(_("Unknown channel."))
    with transaction.atomic(savepoint=not locked):
        now = clock.now()
        if not locked:
            found = lock_person(Person.objects.filter(pk=person.pk))
            if found is None:
                raise Person.DoesNotExist
            person = found
        received_at = received_at or now
        effective_at, flagged = effective_time(device_at, received_at)
        compromised = contact_point is not None and contact_point.state == ContactState.COMPROMISED
        held = status == Status.SAFE and _held_by_call(
            person, basis, effective_at, flagged, clears_help
        )
        checkin = CheckIn.objects.create(
            org_id=person.org_id,
            person=person,
            status=status,
            basis=basis,
            channel=channel,
            note=note.strip(),
            source=source.strip(),
            heard_at=heard_at,
            device_at=device_at,
            received_at=received_at,
            effective_at=effective_at,
            is_time_flagged=flagged,
            counts_as_heard=basis in HEARD_BASES and not compromised and not contact_only,
            is_held=held and not compromised and not contact_only,
            recorded_by=recorded_by,
            contact_point=contact_point,
            area=area,
        )
        if compromised:
            _alerts_on_checkin(checkin, person)
            return checkin
        if contact_only:
            since = person.contact_since_decision_at
            after = person.decision_at is not None and effective_at > person.decision_at
            if after and (since is None or effective_at > since):
                person.contact_since_decision_at = effective_at
                person.save(update_fields=["contact_since_decision_at"])
            _alerts_on_checkin(checkin, person)
            return checkin
        changed: list[str] = []
        if _is_newer(checkin, person) and not held:
            person.state, person.state_basis = status, basis
            person.state_at, person.state_checkin_id = effective_at, checkin.pk
            changed += ["state", "state_basis", "state_at", "state_checkin_id"]
            if area is not None and person.area_id != area.pk:
                person.area = area
                changed.append("area")
        if person.decision and person.decision_at and effective_at > person.decision_at:
            since = person.contact_since_decision_at
            if since is None or effective_at > since:
                person.contact_since_decision_at = effective_at
                changed.append("contact_since_decision_at")
        if checkin.counts_as_heard and (person.heard_at is None or effective_at > person.heard_at):
            person.heard_at = effective_at
            changed.append("heard_at")
            plain, tight = due_choices(person, due_base(person))
            if tight != plain:
                # Heightened mode would shorten this deadline: the UPDATE decides (no lookup).
                _save_deciding_heightened(person, changed, plain, tight, now)
                _alerts_on_checkin(checkin, person)
                return checkin
            person.next_due_at = plain
            if plain is None or plain > now:
                person.is_overdue = False
            changed += ["next_due_at", "is_overdue"]
        if changed:
            person.save(update_fields=changed)
        _alerts_on_checkin(checkin, person)
        return checkin


def _save_deciding_heightened(
    person: Person,
    changed: list[str],
    plain: datetime | None,
    tight: datetime | None,
    now: datetime,
) -> None:
    """Write `changed` and the deadline in ONE statement that decides itself whether heightened
    mode applies (`heightened_applies` as SQL): the lookup runs after the person's lock is held,
    in that statement's own snapshot, so a mode a coordinator committed just before counts, as it
    did with a separate lookup; a mode committed after it recomputes this person's deadline
    under the same lock (`set_heightened`). Sets next_due_at and is_overdue on `person`."""
    assert plain is not None and tight is not None
    ops = connection.ops
    quote = ops.quote_name
    sets: list[str] = []
    params: list[Any] = []
    for name in changed:
        field = cast(Field, Person._meta.get_field(name))
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(getattr(person, field.attname), connection))
    heightened, heightened_params = heightened_sql(person, now)
    due_plain = ops.adapt_datetimefield_value(plain)
    due_tight = ops.adapt_datetimefield_value(tight)
    sets.append(f"{quote('next_due_at')} = CASE WHEN EXISTS ({heightened}) THEN %s ELSE %s END")
    params += [*heightened_params, due_tight, due_plain]
    # is_overdue clears when the new deadline is ahead; a stale contact keeps what it was.
    overdue = {d: person.is_overdue and d <= now for d in (plain, tight)}
    if overdue[plain] == overdue[tight]:
        sets.append(f"{quote('is_overdue')} = %s")
        params.append(overdue[plain])
    else:
        sets.append(f"{quote('is_overdue')} = CASE WHEN EXISTS ({heightened}) THEN %s ELSE %s END")
        params += [*heightened_params, overdue[tight], overdue[plain]]
    table = quote(Person._meta.db_table)
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} WHERE id = %s"  # noqa: S608 - no input in names
        f" RETURNING {quote('next_due_at')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, person.pk, due_tight])
        row = cursor.fetchone()
    if row is None:
        raise Person.DoesNotExist
    applied = bool(row[0])
    person.next_due_at = tight if applied else plain
    person.is_overdue = overdue[tight] if applied else overdue[plain]


def lock_person(persons: "QuerySet[Person]", org: Organisation | None = None) -> Person | None:
    """The first of `persons`, its row locked for the rest of the transaction (that row only:
    locking the joined organisation too would queue every check-in of the organisation behind
    one another), with its organisation and `has_open_escalation` (so a check-in closes an
    escalation only when there is one). `org`: the caller has the organisation already (the
    API's token brought it), so it is not read again. The encrypted fields (names, location:
    never needed to record a check-in) are left unread and undecrypted; they load if touched."""
    query = persons.select_for_update(of=("self",)).defer(*encrypted_fields(Person))
    if org is None:
        query = query.select_related("org").defer("org__credentials")
    person = query.annotate(**hooks.person_lock_annotations()).first()
    if person is not None and org is not None:
        assert person.org_id == org.pk
        person.org = org
    return person


def _own_person_query(org_id: int, membership_id: int) -> "QuerySet[Person]":
    return (
        Person.objects.filter(org_id=org_id, membership_id=membership_id)
        .select_for_update(of=("self",))
        .defer(*encrypted_fields(Person))
        .annotate(**hooks.person_lock_annotations())
    )


_own_person = Prepared(_own_person_query, 0, 0)


def lock_own_person(org: Organisation, membership: Membership) -> Person | None:
    """`lock_person` for the person linked to `membership` in `org` (the API's check-in for
    oneself), its query compiled once (salama.safety.prepared): the same statement."""
    person = _own_person(org.pk, membership.pk)
    if person is not None:
        person.org = org
    return person


def _alerts_on_checkin(checkin: CheckIn, person: Person) -> None:
    # Alerts and escalations, in this transaction (the outbox is written with its cause).
    hooks.checkin_recorded(checkin=checkin, person=person)


# --- Decisions ----------------------------------------------------------------------------------

RECENT_CONTACT = timedelta(hours=6)


class RecentContact(ValidationError):
    """The person was heard from recently: the decision must be confirmed."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        super().__init__(_("This person was heard from recently: confirm the decision."))


def last_contact(person: Person) -> datetime | None:
    """When the person was last heard from or reported on (any basis), whichever is later."""
    times = [t for t in (person.heard_at, person.state_at) if t is not None]
    return max(times) if times else None


@transaction.atomic
def make_decision(
    *,
    person: Person,
    kind: str,
    certainty: str,
    made_by: Membership | None,
    source: str = "",
    reason: str = "",
    confirm_recent: bool = False,
    request: HttpRequest | None = None,
) -> Decision:
    """A coordinator's statement (MISSING, DETAINED, KILLED, EVACUATED; reported or confirmed).
    It replaces a decision in force and is what everyone sees until cleared. Audited.

    Deliberate: it needs a source and a reason; when the person was heard from (or reported
    on) in the last RECENT_CONTACT, it raises `RecentContact` unless ``confirm_recent``."""
    if kind not in DecisionKind.values:
        raise ValidationError(_("Unknown decision."))
    if certainty not in Certainty.values:
        raise ValidationError(_("Unknown certainty."))
    if not source.strip() or not reason.strip():
        raise ValidationError(_("Give the source and the reason of the decision."))
    now = clock.now()
    person = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    last = last_contact(person)
    if last is not None and last > now - RECENT_CONTACT and not confirm_recent:
        raise RecentContact(last)
    Decision.objects.filter(person=person, cleared_at=None).update(
        cleared_at=now, cleared_by=made_by
    )
    decision = Decision.objects.create(
        org_id=person.org_id,
        person=person,
        kind=kind,
        certainty=certainty,
        source=source.strip(),
        reason=reason.strip(),
        made_by=made_by,
        made_at=now,
    )
    person.decision, person.decision_certainty, person.decision_at = kind, certainty, now
    person.contact_since_decision_at = None
    fields = ["decision", "decision_certainty", "decision_at", "contact_since_decision_at"]
    person.save(update_fields=fields + _deadline_fields(person, now))
    hooks.decision_made(person=person, kind=kind, by=made_by, request=request)
    audit.record(
        "decision.make",
        org_id=person.org_id,
        actor_id=made_by.user_id if made_by else None,
        obj=decision,
        request=request,
        detail={"person": person.pk, "kind": kind, "certainty": certainty},
    )
    return decision


@transaction.atomic
def clear_decision(
    *, person: Person, cleared_by: Membership | None, request: HttpRequest | None = None
) -> Decision | None:
    """End the decision in force; the person's reported state shows again. Audited."""
    now = clock.now()
    person = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    decision = Decision.objects.filter(person=person, cleared_at=None).first()
    if decision is None:
        return None
    decision.cleared_at, decision.cleared_by = now, cleared_by
    decision.save(update_fields=["cleared_at", "cleared_by"])
    person.decision = person.decision_certainty = ""
    person.decision_at = person.contact_since_decision_at = None
    fields = ["decision", "decision_certainty", "decision_at", "contact_since_decision_at"]
    person.save(update_fields=fields + _deadline_fields(person, now))
    audit.record(
        "decision.clear",
        org_id=person.org_id,
        actor_id=cleared_by.user_id if cleared_by else None,
        obj=decision,
        request=request,
        detail={"person": person.pk, "kind": decision.kind},
    )
    return decision


# --- Events -------------------------------------------------------------------------------------


@transaction.atomic
def open_event(
    *,
    org: Organisation,
    label: str,
    started_at: datetime | None = None,
    areas: Iterable[Area] = (),
    opened_by: Membership | None = None,
    request: HttpRequest | None = None,
) -> Event:
    now = clock.now()
    started_at = started_at or now
    label = label.strip()
    if not label:
        raise ValidationError(_("Give the event a short label."))
    if started_at > now + MAX_AHEAD:
        raise ValidationError(_("An event cannot start in the future."))
    area_list = list(areas)
    if any(a.org_id != org.pk for a in area_list):
        raise ValidationError(_("Unknown area."))
    event = Event.objects.create(
        org=org, label=label, started_at=started_at, opened_by=opened_by, opened_at=now
    )
    event.areas.set(area_list)
    audit.record("event.open", org_id=org.pk, obj=event, request=request)
    return event


@transaction.atomic
def close_event(
    *, event: Event, closed_by: Membership | None = None, request: HttpRequest | None = None
) -> Event:
    updated = Event.objects.filter(pk=event.pk, closed_at=None).update(
        closed_at=clock.now(), closed_by=closed_by
    )
    event.refresh_from_db()
    if updated:
        audit.record("event.close", org_id=event.org_id, obj=event, request=request)
    return event


def open_events(org: Organisation) -> list[Event]:
    return list(Event.objects.for_org(org).filter(closed_at=None).order_by("-started_at", "-id"))


# --- Heightened mode and deadlines ------------------------------------------------------------


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


# --- Proxy and relayed check-ins --------------------------------------------------------------


class EntryError(ValidationError):
    pass


@dataclass
class ProxyResult:
    checkins: list[CheckIn]
    skipped: list[str]  # everyone's codenames left out by "except"
    help_open: list[str] = field(default_factory=list)  # left out: their call for help is open


def lead_teams(lead: Person) -> list[int]:
    return list(TeamLead.objects.filter(person=lead).values_list("team_id", flat=True))


def _codes(names: Iterable[str]) -> list[str]:
    return [n.strip().upper() for n in names if n and n.strip()]


@transaction.atomic
def record_proxy_checkins(
    *,
    lead: Person | Membership,
    codenames: Iterable[str] | None,
    except_codenames: Iterable[str] = (),
    status: str = Status.SAFE,
    channel: str = Channel.PROXY,
    basis: str = Basis.PROXY_SEEN,
    note: str = "",
    recorded_by: Membership | None = None,
    clear_help: Iterable[str] = (),
) -> ProxyResult:
    """A lead checks in for named people (codenames) or the whole team (codenames=None) except
    some, within their own teams only. All or nothing: one codename outside the lead's teams
    and nothing is recorded.

    A SAFE leaves out anyone whose call for help is open (in ``help_open``): a lead's SAFE ALL
    never overwrites it. ``clear_help``: the codenames the lead, on the page, said they saw
    safe themselves; with the proxy-seen basis those are recorded and clear the call."""
    if isinstance(lead, Membership):
        recorded_by = recorded_by or lead
        lead_person = Person.objects.filter(membership=lead).first()
        if lead_person is None:
            raise EntryError(_("Your account is not linked to a person on the roster."))
    else:
        lead_person = lead
    if basis not in (Basis.PROXY_SEEN, Basis.PROXY_HEARD):
        raise EntryError(_("Unknown basis."))
    teams = lead_teams(lead_person)
    if not teams:
        raise EntryError(_("You do not lead a team."))
    team_people = Person.objects.filter(org_id=lead_person.org_id, team_id__in=teams)
    team_people = team_people.filter(is_active=True).exclude(pk=lead_person.pk)
    excluded = set(_codes(except_codenames))
    if codenames is None:
        targets = [
            p for p in team_people.order_by("codename") if p.codename.upper() not in excluded
        ]
        skipped = sorted(excluded)
    else:
        wanted = _codes(codenames)
        if not wanted:
            raise EntryError(_("Name at least one codename, or choose everyone."))
        by_code = {p.codename.upper(): p for p in team_people}
        outside = [c for c in wanted if c not in by_code]
        if outside:
            raise EntryError(
                _("Not in your teams: %(codes)s. Nothing was recorded.")
                % {"codes": " ".join(outside)}
            )
        targets = [by_code[c] for c in dict.fromkeys(wanted) if c not in excluded]
        skipped = []
    confirmed = set(_codes(clear_help)) if basis == Basis.PROXY_SEEN else set()
    help_open = [
        p.codename
        for p in targets
        if status == Status.SAFE and p.codename.upper() not in confirmed and has_open_call(p)
    ]
    checkins = [
        record_checkin(
            person=p,
            status=status,
            basis=basis,
            channel=channel,
            note=note,
            recorded_by=recorded_by,
            clears_help=p.codename.upper() in confirmed,
        )
        for p in targets
        if p.codename not in help_open
    ]
    return ProxyResult(checkins=checkins, skipped=skipped, help_open=help_open)


def has_open_call(person: Person) -> bool:
    """The person is in danger by their latest state and their call for help is open."""
    in_danger = person.state in (Status.NEED_HELP, Status.INJURED)
    return in_danger and hooks.open_call_for_help(person) is not None


@transaction.atomic
def record_relayed(
    *,
    org: Organisation,
    codenames: Iterable[str],
    status: str,
    source: str,
    heard_at: datetime | None,
    recorded_by: Membership | None,
    note: str = "",
) -> list[CheckIn]:
    """News relayed to a coordinator (a call, a voice note, a third party) about one or
    more persons. Basis relayed: it updates the reported state but not heard-from. The time
    heard is the device time of the rules (a relay of old news does not look fresh). Only a
    coordinator or org admin relays (a lead records proxy check-ins for their own team)."""
    if recorded_by is not None and recorded_by.role not in COORDINATING:
        raise PermissionDenied
    wanted = _codes(codenames)
    if not wanted:
        raise EntryError(_("Name at least one codename."))
    found = Person.objects.for_org(org).annotate(code=Upper("codename")).filter(code__in=wanted)
    people = {p.codename.upper(): p for p in found}
    missing = [c for c in wanted if c not in people]
    if missing:
        raise EntryError(
            _("Unknown codenames: %(codes)s. Nothing was recorded.") % {"codes": " ".join(missing)}
        )
    return [
        record_checkin(
            person=people[c],
            status=status,
            basis=Basis.RELAYED,
            channel=Channel.RELAYED,
            device_at=heard_at,
            heard_at=heard_at,
            source=source,
            note=note,
            recorded_by=recorded_by,
        )
        for c in dict.fromkeys(wanted)
    ]


def record_relayed_entry(
    *, org: Organisation, text: str, recorded_by: Membership | None, note: str = ""
) -> list[CheckIn]:
    """Parse the keyboard form (salama.safety.relay) and record it."""
    entry = parse_relayed_entry(text)
    return record_relayed(
        org=org,
        codenames=entry.codenames,
        status=entry.status,
        source=entry.source,
        heard_at=heard_at_from(entry.heard_time, org.time_zone),
        recorded_by=recorded_by,
        note=note,
    )


@transaction.atomic
def record_relayed_lines(
    *, org: Organisation, lines: Iterable[str], recorded_by: Membership | None, note: str = ""
) -> list[CheckIn]:
    """Several keyboard lines at once: every line or none."""
    recorded: list[CheckIn] = []
    for number, line in enumerate(lines, start=1):
        try:
            recorded += record_relayed_entry(org=org, text=line, recorded_by=recorded_by, note=note)
        except ValidationError as exc:
            raise EntryError(
                _("Line %(n)d: %(error)s") % {"n": number, "error": " ".join(exc.messages)}
            ) from exc
    return recorded


IDEMPOTENCY_KEEP = timedelta(days=35)


def purge_idempotency_keys() -> bool:
    """Worker job: forget Idempotency-Key answers after 35 days (the promise is 30)."""
    from salama.safety.models import IdempotencyKey

    cutoff = clock.now() - IDEMPOTENCY_KEEP
    old = list(
        IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:500]
    )
    if old:
        IdempotencyKey.objects.filter(pk__in=old).delete()
    return bool(old)
