"""Check-ins and the state rules (DESIGN §5): every check-in, whatever its channel, goes through
`record_checkin`, which locks the person row, stores the check-in and applies it to the person's
current state (effective time, held SAFEs, decisions in force, deadlines, compromised numbers)
in one transaction; locking the person (once compiled for the API's own check-in, see
salama.safety.prepared); and the worker job that forgets old Idempotency-Key answers."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, Field, QuerySet
from django.utils.translation import gettext as _

from salama.accounts.models import Membership, Organisation
from salama.lib import clock
from salama.lib.fields import encrypted_fields, seal
from salama.people.models import Area, Basis, ContactPoint, ContactState, Person, Status
from salama.safety import hooks
from salama.safety.idempotency import check_key, claim_key, shared_key
from salama.safety.models import HEARD_BASES, Channel, CheckIn
from salama.safety.periods import due_base, due_choices, heightened_sql
from salama.safety.prepared import Insert, Prepared, Write, write_together

MAX_AHEAD = timedelta(minutes=10)
MAX_BEHIND = timedelta(hours=72)


_STATUSES = frozenset(Status.values)
_BASES = frozenset(Basis.values)
_CHANNELS = frozenset(Channel.values)
# Every column of a check-in but its id, in this order (the INSERT is written once).
_CHECKIN_FIELDS = (
    "org_id", "person_id", "status", "basis", "channel", "note", "source", "heard_at",
    "device_at", "received_at", "effective_at", "is_time_flagged", "counts_as_heard", "is_held",
    "recorded_by_id", "contact_point_id", "area_id",
)  # fmt: skip
_checkin_insert = Insert(CheckIn, *_CHECKIN_FIELDS)
_checkin_insert_with_id = Insert(CheckIn, "id", *_CHECKIN_FIELDS)
# A locked person carrying this attribute brings the id its check-in will have (taken from the
# sequence by the lock statement): its INSERT can then run with the person's UPDATE.
RESERVED = "reserved_checkin_id"
# A list here collects the ids of the check-ins stored meanwhile (the batch asks whether an
# item refused late had written anything before it was refused).
inserted: ContextVar[list[int] | None] = ContextVar("safety_checkins_inserted", default=None)


def _new_checkin(
    *,
    person: Person,
    recorded_by: Membership | None,
    contact_point: ContactPoint | None,
    area: Area | None,
    reserved_id: int | None,
    **columns: Any,
) -> tuple[CheckIn, Write | None]:
    """CheckIn.objects.create(...), its INSERT written once (salama.safety.prepared.Insert):
    the note and source encrypted as the fields would, the instance built with its person,
    recorder, contact point and area in place (nothing read again). With `reserved_id` (an id
    the person's lock statement took from the sequence) the INSERT is not run but answered, as
    a Write to run with the person's UPDATE; else it runs now."""
    org_id = person.org_id
    values: dict[str, Any] = {
        **columns,
        "org_id": org_id,
        "person_id": person.pk,
        "recorded_by_id": recorded_by.pk if recorded_by is not None else None,
        "contact_point_id": contact_point.pk if contact_point is not None else None,
        "area_id": area.pk if area is not None else None,
    }
    note, source = values["note"], values["source"]
    values["note"], values["source"] = seal(org_id, note), seal(org_id, source)
    row = (values[name] for name in _CHECKIN_FIELDS)
    write = None
    if reserved_id is None:
        pk = _checkin_insert(*row)
    else:
        pk = reserved_id
        write = _checkin_insert_with_id.write(pk, *row)
    written = inserted.get()
    if written is not None:
        written.append(pk)
    values["id"], values["note"], values["source"] = pk, note, source
    checkin = _checkin_insert.instance(values)
    cache = checkin._state.fields_cache
    cache["person"] = person
    if recorded_by is not None:
        cache["recorded_by"] = recorded_by
    cache["contact_point"] = contact_point
    cache["area"] = area
    return checkin, write


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
    key: str = "",
    then: Callable[[CheckIn], Write] | None = None,
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

    ``key``: the check-in's idempotency key, any channel (salama.safety.idempotency): a short
    key this person used before raises KeyUsed, nothing stored.

    ``then``: a write of the caller's that belongs with this check-in (the API's Idempotency-Key
    with its answer), made from the stored check-in and run with its writes: one statement on
    PostgreSQL when the person's lock reserved the check-in's id (`lock_own_person_for_token`).
    """
    if status not in _STATUSES:
        raise ValidationError(_("Unknown status."))
    if basis not in _BASES:
        raise ValidationError(_("Unknown basis."))
    if channel not in _CHANNELS:
        raise ValidationError(_("Unknown channel."))
    shared = shared_key(key)
    if shared and locked:
        # Before the block: an exception inside a block without a savepoint would spoil the
        # caller's transaction (the text handler's, which keeps the stored text).
        check_key(person, shared, status)
    with transaction.atomic(savepoint=not locked):
        now = clock.now()
        if not locked:
            found = _person_by_pk(person.pk)
            if found is None:
                raise Person.DoesNotExist
            person = found
            if shared:
                check_key(person, shared, status)
        reserved_id = person.__dict__.pop(RESERVED, None)
        received_at = received_at or now
        effective_at, flagged = effective_time(device_at, received_at)
        compromised = contact_point is not None and contact_point.state == ContactState.COMPROMISED
        held = status == Status.SAFE and _held_by_call(
            person, basis, effective_at, flagged, clears_help
        )
        checkin, write = _new_checkin(
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
            reserved_id=reserved_id,
        )
        writes = _Writes(write)
        if shared:
            writes.flush()
            claim_key(checkin, shared)
        if not compromised:
            _apply(checkin, person, writes, now, contact_only=contact_only, held=held)
        if then is not None:
            writes.add(then(checkin))
        writes.flush()
        _alerts_on_checkin(checkin, person)
        return checkin


# What a held write is (HeldWrites): a reserved check-in's INSERT ("checkin", None) or a
# person's UPDATE ("person", (person, its columns as `Set`s, the callback of a decided one)).
Held = tuple[str, Any]


class _Writes:
    """The writes of one check-in, run together (salama.safety.prepared.write_together): on
    PostgreSQL the check-in's INSERT, the person's UPDATE and the caller's `then` are one
    statement. `on_answer` is called with each write's answer, after it ran. While the writes
    are held (`holding_writes`) and each of them can be, they are handed to the holder."""

    def __init__(self, first: Write | None) -> None:
        self.pending: list[tuple[Write, Callable[[Any], None] | None, Held | None]] = []
        if first is not None:
            self.add(first, held=("checkin", None))

    def add(
        self,
        write: Write,
        on_answer: Callable[[Any], None] | None = None,
        held: Held | None = None,
    ) -> None:
        self.pending.append((write, on_answer, held))

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        holder = _holding.get()
        if holder is not None and pending and all(h is not None for _w, _o, h in pending):
            holder.hold([(write, held) for write, _on, held in pending if held is not None])
            return
        answers = write_together([write for write, _on, _held in pending])
        for (_write, on_answer, _held), answer in zip(pending, answers, strict=True):
            if on_answer is not None:
                on_answer(answer)


class _HeldPerson:
    """What the held UPDATEs of one person set: each column's last expression, and the
    callback of the UPDATE that decided the deadline in SQL, while it is still the last word."""

    def __init__(self) -> None:
        self.sets: dict[str, tuple[str, list[Any]]] = {}
        self.decided: Write | None = None
        self.written: Callable[[Any], None] | None = None


class HeldWrites:
    """The writes of check-ins recorded one after another in one transaction (the batch's fast
    pass, salama.safety.batch; a text's handling, salama.messaging.inbound, with its reply),
    held and then written together, in ONE statement on PostgreSQL: every held check-in's
    INSERT as one INSERT of many rows, one UPDATE per person setting each column as the last
    held UPDATE set it (what the UPDATEs one after another would have left), the other writes
    held (`hold_writes`), and the holder's own (`release(also=...)`).

    Held writes are written before any other statement runs on the connection (a wrapper
    around its cursors: whatever reads or writes next finds them, as it would have), and when
    `holding_writes` ends without an error. A deadline decided in SQL (`_deciding_heightened`)
    is decided by that statement, after the person's lock as before; until then the person's
    next_due_at (and is_overdue, when it depends on the decision) is unset in memory, so that
    reading it loads it, after what is held is written. A check-in whose id was not reserved
    and a caller's `then` write everything held and run as they would."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []
        self.persons: dict[int, _HeldPerson] = {}
        self.others: list[tuple[list[Write], Callable[[list[Any]], None]]] = []

    def hold_writes(self, writes: list[Write], on_answers: Callable[[list[Any]], None]) -> None:
        """Hold writes of another kind (a text's reply: salama.messaging.compiled), written
        after the check-ins' in the same statement; `on_answers` is given their answers then."""
        self.others.append((writes, on_answers))

    def hold(self, writes: list[tuple[Write, Held]]) -> None:
        for write, (kind, detail) in writes:
            if kind == "checkin":
                self.rows.append(write.params)
                continue
            person, sets, written = detail
            entry = self.persons.get(person.pk)
            if entry is None:
                entry = self.persons[person.pk] = _HeldPerson()
            for name, expr, values in sets:
                entry.sets[name] = (expr, values)
                if name in ("next_due_at", "is_overdue"):
                    entry.decided, entry.written = None, None
            if written is not None:
                entry.decided, entry.written = write, written
                # Decided by the statement that writes it: loaded if read before.
                for name in [n for n, expr, _v in sets if expr != "%s"]:
                    person.__dict__.pop(_ATTNAMES[name], None)

    def release(self, also: list[Write] | None = None) -> list[Any]:
        """Write what is held, and `also`, now (one statement on PostgreSQL); `also`'s answers."""
        rows, persons, others = self.rows, self.persons, self.others
        self.rows, self.persons, self.others = [], {}, []
        writes = [_checkin_insert_with_id.write_rows(rows)] if rows else []
        updates = []
        for person_pk, entry in persons.items():
            names = tuple((name, expr) for name, (expr, _v) in entry.sets.items())
            params = [v for _expr, values in entry.sets.values() for v in values]
            params.append(person_pk)
            if entry.decided is not None:
                returning = entry.decided.returning, entry.decided.returning_params
            else:
                returning = "1", []
            writes.append(Write(_update_sql(names), params, *returning))
            updates.append((len(writes) - 1, entry.written or _found))
        groups = []
        for group, on_answers in others:
            groups.append((len(writes), len(group), on_answers))
            writes += group
        start = len(writes)
        writes += also or []
        answers = write_together(writes)
        for position, on_answer in updates:
            on_answer(answers[position])
        for first, count, on_answers in groups:
            on_answers(answers[first : first + count])
        return answers[start:]

    def guard(self, execute: Callable[..., Any], sql: str, params: Any, *args: Any) -> Any:
        if self.rows or self.persons or self.others:
            self.release()
        return execute(sql, params, *args)


_holding: ContextVar[HeldWrites | None] = ContextVar("safety_held_writes", default=None)


def held_writes() -> HeldWrites | None:
    """The writes being held here (`holding_writes`), if any."""
    return _holding.get()


@contextmanager
def holding_writes() -> Iterator[HeldWrites]:
    """Hold the plain writes of the check-ins recorded inside (see HeldWrites), on PostgreSQL;
    elsewhere nothing is held and `release` only writes what it is given. Inside a transaction:
    an error leaves what is held unwritten, for the transaction's rollback."""
    held = HeldWrites()
    if connection.vendor != "postgresql":
        yield held
        return
    # COMMIT is no statement through a cursor: what is held must be written before it.
    assert connection.in_atomic_block, "holding writes needs a transaction"
    token = _holding.set(held)
    try:
        with connection.execute_wrapper(held.guard):
            yield held
            held.release()
    finally:
        _holding.reset(token)


def _apply(
    checkin: CheckIn,
    person: Person,
    writes: _Writes,
    now: datetime,
    *,
    contact_only: bool,
    held: bool,
) -> None:
    """Rules 3 to 5 and 7 of record_checkin: what the check-in changes on the person, added to
    `writes` as the person's UPDATE (none when nothing changes)."""
    effective_at = checkin.effective_at
    if contact_only:
        since = person.contact_since_decision_at
        after = person.decision_at is not None and effective_at > person.decision_at
        if after and (since is None or effective_at > since):
            person.contact_since_decision_at = effective_at
            writes.add(*_person_update(person, ["contact_since_decision_at"]))
        return
    changed: list[str] = []
    if _is_newer(checkin, person) and not held:
        person.state, person.state_basis = checkin.status, checkin.basis
        person.state_at, person.state_checkin_id = effective_at, checkin.pk
        changed += ["state", "state_basis", "state_at", "state_checkin_id"]
        area = checkin.area
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
            writes.add(*_deciding_heightened(person, changed, plain, tight, now))
            return
        person.next_due_at = plain
        if plain is None or plain > now:
            person.is_overdue = False
        changed += ["next_due_at", "is_overdue"]
    if changed:
        writes.add(*_person_update(person, changed))


def _found(answer: Any) -> None:
    if answer is None:
        raise Person.DoesNotExist


# One column of a person's UPDATE: (field name, its SQL expression, that expression's values).
Set = tuple[str, str, list[Any]]


def _person_update(person: Person, changed: list[str]) -> tuple[Write, Callable[[Any], None], Held]:
    """person.save(update_fields=changed) as a Write (Person has no save() of its own and no
    signal receivers), which may be held (HeldWrites); a person gone meanwhile raises
    Person.DoesNotExist."""
    sets = [(n, "%s", [v]) for n, v in zip(changed, _column_values(person, changed), strict=True)]
    write = Write(_update_sql(tuple((n, e) for n, e, _v in sets)), [*_values(sets), person.pk])
    return write, _found, ("person", (person, sets, None))


def _values(sets: "Iterable[Set]") -> list[Any]:
    return [value for _name, _expr, values in sets for value in values]


def _update_sql(sets: tuple[tuple[str, str], ...]) -> str:
    """UPDATE of a person's columns (field name, SQL expression), written once per set."""
    key = (connection.vendor, sets)
    sql = _UPDATES.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        assigned = [
            f"{quote(cast(Field, Person._meta.get_field(n)).column)} = {expr}" for n, expr in sets
        ]
        table = quote(Person._meta.db_table)
        sql = f"UPDATE {table} SET {', '.join(assigned)} WHERE id = %s"  # noqa: S608 - ours
        if len(_UPDATES) < 256:
            _UPDATES[key] = sql
    return sql


def _column_values(person: Person, changed: list[str]) -> list[Any]:
    adapt = connection.ops.adapt_datetimefield_value
    values = []
    for name in changed:
        value = getattr(person, _ATTNAMES[name])
        values.append(adapt(value) if isinstance(value, datetime) else value)
    return values


_UPDATES: dict[tuple[Any, ...], str] = {}
_ATTNAMES = {f.name: f.attname for f in Person._meta.concrete_fields}


def _deciding_heightened(
    person: Person,
    changed: list[str],
    plain: datetime | None,
    tight: datetime | None,
    now: datetime,
) -> tuple[Write, Callable[[Any], None], Held]:
    """Write `changed` and the deadline in ONE statement that decides itself whether heightened
    mode applies (`heightened_applies` as SQL): the lookup runs after the person's lock is held,
    in that statement's own snapshot, so a mode a coordinator committed just before counts, as it
    did with a separate lookup; a mode committed after it recomputes this person's deadline
    under the same lock (`set_heightened`). Once written, next_due_at and is_overdue are set on
    `person`."""
    assert plain is not None and tight is not None
    adapt = connection.ops.adapt_datetimefield_value
    heightened, heightened_params = heightened_sql(person, now)
    case = f"CASE WHEN EXISTS ({heightened}) THEN %s ELSE %s END"
    due_plain = adapt(plain)
    due_tight = adapt(tight)
    sets = [(n, "%s", [v]) for n, v in zip(changed, _column_values(person, changed), strict=True)]
    sets.append(("next_due_at", case, [*heightened_params, due_tight, due_plain]))
    # is_overdue clears when the new deadline is ahead; a stale contact keeps what it was.
    overdue = {d: person.is_overdue and d <= now for d in (plain, tight)}
    split = overdue[plain] != overdue[tight]
    if split:
        sets.append(("is_overdue", case, [*heightened_params, overdue[tight], overdue[plain]]))
    else:
        sets.append(("is_overdue", "%s", [overdue[plain]]))
        # The same either way: known now, for what reads it before the write runs (a hook,
        # the next check-in, while the write is held).
        person.is_overdue = overdue[plain]

    def written(applied: Any) -> None:
        if applied is None:
            raise Person.DoesNotExist
        person.next_due_at = tight if applied else plain
        person.is_overdue = overdue[tight] if applied else overdue[plain]

    returning = f"{connection.ops.quote_name('next_due_at')} = %s"
    sql = _update_sql(tuple((n, e) for n, e, _v in sets))
    write = Write(sql, [*_values(sets), person.pk], returning, [due_tight])
    return write, written, ("person", (person, sets, written))


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


def _nextval() -> str:
    """nextval() of the check-ins' id sequence as SQL (PostgreSQL), its name read once."""
    if not _SEQUENCE:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [CheckIn._meta.db_table])
            _SEQUENCE.append(cursor.fetchone()[0])
    literal = "'" + _SEQUENCE[0].replace("'", "''") + "'"
    return f"nextval({literal}::regclass)"


_SEQUENCE: list[str] = []


def _next_checkin_id() -> str | None:
    # Taken once the person is locked: ids then rise with the order check-ins of one person
    # are recorded in, as when the INSERT took them (alerts read "this person's check-ins
    # since the alert's" by id).
    return _nextval() if connection.vendor == "postgresql" else None


def reserve_checkin_ids(count: int) -> list[int]:
    """Ids for up to `count` check-ins about to be recorded, in one statement (PostgreSQL;
    elsewhere none): set one on a locked person as `RESERVED` before each record_checkin, so
    that each check-in's INSERT runs with its person's UPDATE (the batch). An id not used is
    only a gap in the sequence."""
    if connection.vendor != "postgresql" or count < 1:
        return []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_nextval()} FROM generate_series(1, %s)", [count])  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def _own_person_for_token_query(
    org_id: int, membership_id: int, token_id: int, role: str
) -> "QuerySet[Person]":
    # The same, reading the organisation afresh and checking the caller's token in the same
    # statement (salama.safety.tokens.still_valid); on PostgreSQL it also takes the id of the
    # check-in to come from its sequence, once the person is locked (`after`).
    from salama.safety.tokens import still_valid

    return (
        _own_person_query(org_id, membership_id)
        .select_related("org")
        .defer("org__credentials")
        .annotate(**{TOKEN_HOLDS: Exists(still_valid(token_id, membership_id, role))})
    )


_own_person = Prepared(_own_person_query, 0, 0)
_own_person_for_token = Prepared(
    _own_person_for_token_query, 0, 0, 0, "", after=(RESERVED, _next_checkin_id)
)
TOKEN_HOLDS = "token_holds"


def _person_by_pk_query(pk: int) -> "QuerySet[Person]":
    # lock_person's statement for one person (its organisation read with it), as ORM.
    return (
        Person.objects.filter(pk=pk)
        .select_for_update(of=("self",))
        .defer(*encrypted_fields(Person))
        .select_related("org")
        .defer("org__credentials")
        .annotate(**hooks.person_lock_annotations())
    )


# record_checkin's lock of a person it was given (every channel but the API's own check-in):
# the same statement as lock_person(Person.objects.filter(pk=...)), compiled once.
_person_by_pk = Prepared(_person_by_pk_query, 0)
_person_by_pk_reserving = Prepared(_person_by_pk_query, 0, after=(RESERVED, _next_checkin_id))


def lock_person_by_pk(pk: int, reserve: bool = False) -> Person | None:
    """`lock_person(Person.objects.filter(pk=pk))`, its query compiled once (a text's check-in
    locks its sender's person on every request). `reserve`: on PostgreSQL the same statement
    takes the id of the one check-in about to be recorded for this person, once it is locked
    (`RESERVED`: record_checkin then writes it with the person's UPDATE)."""
    return (_person_by_pk_reserving if reserve else _person_by_pk)(pk)


def lock_own_person(org: Organisation, membership: Membership) -> Person | None:
    """`lock_person` for the person linked to `membership` in `org` (the API's check-in for
    oneself), its query compiled once (salama.safety.prepared): the same statement."""
    person = _own_person(org.pk, membership.pk)
    if person is not None:
        person.org = org
    return person


def lock_own_person_for_token(membership: Membership, token_id: int) -> tuple[Person | None, bool]:
    """(the person, whether the token holds): `lock_own_person` for the API's check-in by an
    API token, in ONE statement that also checks that token `token_id` still authenticates as
    `membership` with its role (salama.safety.tokens.still_valid; the person is None when the
    membership has none, and then the token is checked by a statement of its own), reads the
    organisation afresh, and on PostgreSQL takes the id of the one check-in about to be
    recorded for this person (`RESERVED`), so that record_checkin writes it together with the
    person's UPDATE (an id taken and not used is only a gap in the sequence)."""
    values = (membership.org_id, membership.pk, token_id, membership.role)
    person = _own_person_for_token(*values)
    if person is None:
        from salama.safety.tokens import still_valid

        return None, still_valid(token_id, membership.pk, membership.role).exists()
    return person, bool(person.__dict__.pop(TOKEN_HOLDS))


def _alerts_on_checkin(checkin: CheckIn, person: Person) -> None:
    # Alerts and escalations, in this transaction (the outbox is written with its cause).
    hooks.checkin_recorded(checkin=checkin, person=person)


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
