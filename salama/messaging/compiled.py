"""Statements of the inbound text path written once per process (P1, docs/benchmarks.md).

Building and compiling an ORM query or INSERT costs more CPU than the database spends on it, and
a text pays for every one of them. These do what ``Model.save()`` and a queryset would do, with
the SQL written once per model and database and only the values new on each call:

- ``insert(obj)``: ``obj.save()`` of a new row (pre_save and post_save sent, the fields'
  ``pre_save`` run: encryption, defaults), its primary key read back;
- ``update(obj, fields)``: ``obj.save(update_fields=fields)`` (refused when no row changed);
- ``Reader``: a model's columns at a table alias in a hand-written SELECT, turned into an
  instance with the converters the ORM would apply (decryption, booleans, times).

A model with database defaults or more than one returned column is saved by the ORM instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DatabaseError, connections, models, transaction
from django.db.models import Field, Model
from django.db.models.signals import post_save, pre_save

from salama.safety.checkins import held_writes
from salama.safety.prepared import PREV, Write

M = TypeVar("M", bound=Model)

_lock = threading.RLock()
_inserts: dict[tuple[type[Model], str], _Insert | None] = {}
_updates: dict[tuple[type[Model], tuple[str, ...], str], _Update] = {}
_readers: dict[tuple[type[Model], str, str], Reader] = {}


def _key(alias: str) -> str:
    return f"{alias}:{connections[alias].vendor}"


Prep = Callable[[Model, bool, Any], Any]
CONDITION = "\x00condition\x00"
_UNSET = object()

# Field classes whose value, when it is exactly of this type (or None), is what
# ``get_db_prep_save`` would send: their preparation only converts other types.
_PLAIN: dict[type[Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BooleanField: bool,
}


def _preparer(field: Field) -> Prep:
    """``field.get_db_prep_save(field.pre_save(obj, add), connection)``, with the field's
    machinery skipped where it would change nothing: a field of a plain class (exactly, not a
    subclass such as an encrypted field) or a foreign key to an integer key, whose value is
    already of its type or None. Anything else goes through Django."""

    def generic(obj: Model, add: bool, connection: Any) -> Any:
        return field.get_db_prep_save(field.pre_save(obj, add), connection)  # type: ignore[arg-type]

    kind = _PLAIN.get(type(field))
    if kind is None and type(field) is models.ForeignKey:
        target = field.target_field  # type: ignore[attr-defined]
        if type(target) in (models.AutoField, models.BigAutoField):
            kind = int
    if kind is None or type(field).pre_save is not Field.pre_save:
        return generic
    attname = field.attname

    def plain(obj: Model, add: bool, connection: Any) -> Any:
        value = obj.__dict__.get(attname, _UNSET)  # unset (deferred): Django loads it
        if value is None or type(value) is kind:
            return value
        return generic(obj, add, connection)

    return plain


class _Insert:
    def __init__(self, model: type[Model], alias: str) -> None:
        connection = connections[alias]
        meta = model._meta
        quote = connection.ops.quote_name
        self.fields: list[Field] = [
            f for f in meta.local_concrete_fields if f is not meta.auto_field
        ]
        # A set: Django's check tests each of the model's fields for membership in it.
        self.relations = frozenset(f for f in self.fields if f.is_relation)
        self.preps = [_preparer(f) for f in self.fields]
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = quote(meta.db_table)
        self.returning = connection.features.can_return_columns_from_insert
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        self.sql_only_if = f"INSERT INTO {table} ({columns}) SELECT {marks} WHERE {CONDITION}"  # noqa: S608
        if self.returning:
            self.sql += f" RETURNING {quote(meta.pk.column)}"
            self.sql_only_if += f" RETURNING {quote(meta.pk.column)}"
        self.table, self.pk_column = meta.db_table, meta.pk.column

    @staticmethod
    def usable(model: type[Model]) -> bool:
        meta = model._meta
        return (
            not meta.parents
            and not meta.proxy
            and meta.auto_field is not None
            and list(meta.db_returning_fields) == [meta.pk]
            and not any(getattr(f, "has_db_default", lambda: False)() for f in meta.concrete_fields)
            and not any(getattr(f, "generated", False) for f in meta.concrete_fields)
        )


def _insert_for(model: type[Model], alias: str) -> _Insert | None:
    key = (model, _key(alias))
    if key not in _inserts:
        with _lock:
            _inserts[key] = _Insert(model, alias) if _Insert.usable(model) else None
    return _inserts[key]


class NotInserted(Exception):
    """`insert(…, only_if=…)`: the condition did not hold, so no row was stored."""


def insert(
    obj: M,
    *,
    using: str = "default",
    also: Write | None = None,
    only_if: tuple[str, list[Any]] | None = None,
) -> M:
    """``obj.save()`` for a new row of a plain model, its INSERT written once. Returns obj.
    `also`: a write (answering nothing) run with the INSERT: in the same statement on
    PostgreSQL (``WITH a AS (also) INSERT …``, which runs the two in the same order on every
    call, so two such statements never wait for each other crosswise), else just after it;
    nothing of it stays when the INSERT fails.
    `only_if`: an SQL condition (with its parameters) checked by the INSERT itself (``INSERT …
    SELECT … WHERE <condition>``, PostgreSQL only): when it does not hold, NotInserted."""
    model = type(obj)
    compiled = _insert_for(model, using)
    connection = connections[using]
    together = also is not None and connection.vendor == "postgresql"
    if only_if is not None and (compiled is None or not compiled.returning):
        raise ValueError("only_if needs a compiled INSERT answering its id (PostgreSQL)")
    if compiled is None or obj.pk is not None or not obj._state.adding:
        if only_if is not None:
            raise ValueError("only_if needs a new row of a plain model")
        obj.save(using=using)
        _run(also, using)
        return obj
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    obj._prepare_related_fields_for_save(  # type: ignore[attr-defined]
        operation_name="save", fields=compiled.relations
    )
    params = [prep(obj, True, connection) for prep in compiled.preps]
    sql = compiled.sql
    if only_if is not None:
        sql = compiled.sql_only_if.replace(CONDITION, only_if[0])
        params = [*params, *only_if[1]]
    if together:
        assert also is not None
        sql, params = f"WITH a AS ({also.sql}) {sql}", [*also.params, *params]
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if compiled.returning:
            row = cursor.fetchone()
            if row is None:
                raise NotInserted
            value = row[0]
        else:
            value = connection.ops.last_insert_id(cursor, compiled.table, compiled.pk_column)
    pk: Any = model._meta.pk
    for converter in pk.get_db_converters(connection):
        value = converter(value, pk.get_col(compiled.table), connection)
    setattr(obj, pk.attname, value)
    obj._state.db = using
    obj._state.adding = False
    if not together:
        _run(also, using)
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
    )
    return obj


def _run(write: Write | None, using: str) -> None:
    if write is not None:
        with transaction.mark_for_rollback_on_error(using), connections[using].cursor() as cursor:
            cursor.execute(write.sql, write.params)


class _Pair:
    """One statement for a parent row and a child row that points to it (PostgreSQL):
    ``WITH p AS (INSERT parent RETURNING id) INSERT child SELECT ..., p.id, ... FROM p``; or
    the same as two Writes, to be written with others (salama.safety.prepared.write_together)."""

    def __init__(self, parent: _Insert, child: _Insert, link: Field, alias: str) -> None:
        quote = connections[alias].ops.quote_name
        self.parent, self.child, self.link = parent, child, link
        self.fields = [f for f in child.fields if f is not link]
        self.preps = [p for f, p in zip(child.fields, child.preps, strict=True) if f is not link]
        self.child_relations = frozenset(f for f in child.relations if f is not link)
        columns = ", ".join(quote(f.column) for f in child.fields)
        values = ", ".join("p.id" if f is link else "%s" for f in child.fields)
        self.sql = (
            f"WITH p AS ({parent.sql}) INSERT INTO {quote(child.table)} ({columns})"  # noqa: S608
            f" SELECT {values} FROM p RETURNING {quote(child.pk_column)}, {quote(link.column)}"
        )
        # As Writes: the parent's INSERT answering its id, the child's selecting it.
        self.parent_sql = parent.sql.rpartition(" RETURNING ")[0]
        linked = ", ".join(f"{PREV}.v" if f is link else "%s" for f in child.fields)
        self.child_sql = f"INSERT INTO {quote(child.table)} ({columns}) SELECT {linked} FROM {PREV}"  # noqa: S608
        self.parent_pk = quote(parent.pk_column)
        self.child_pk = quote(child.pk_column)


_pairs: dict[tuple[type[Model], type[Model], str, str], _Pair | None] = {}


def insert_pair(parent: Model, child: Model, link: str, *, using: str = "default") -> None:
    """``parent.save()`` then ``child.save()`` with ``child.<link>`` set to the new parent: in one
    statement on PostgreSQL (both pre_save signals are sent before it, both post_save after it),
    else as `insert` twice. `child` must not have `link` set yet."""
    key = (type(parent), type(child), link, _key(using))
    if key not in _pairs:
        with _lock:
            first = _insert_for(type(parent), using)
            second = _insert_for(type(child), using)
            usable = (
                first and second and first.returning and connections[using].vendor == "postgresql"
            )
            field = type(child)._meta.get_field(link)
            _pairs[key] = _Pair(first, second, field, using) if usable else None  # type: ignore[arg-type]
    pair = _pairs[key]
    fresh = parent.pk is None and parent._state.adding and child.pk is None and child._state.adding
    if pair is None or not fresh:
        insert(parent, using=using)
        setattr(child, link, parent)
        insert(child, using=using)
        return
    connection = connections[using]
    pre_save.send(sender=type(parent), instance=parent, raw=False, using=using, update_fields=None)
    parent._prepare_related_fields_for_save(  # type: ignore[attr-defined]
        operation_name="save", fields=pair.parent.relations
    )
    params = [prep(parent, True, connection) for prep in pair.parent.preps]
    pre_save.send(sender=type(child), instance=child, raw=False, using=using, update_fields=None)
    child._prepare_related_fields_for_save(operation_name="save", fields=pair.child_relations)  # type: ignore[attr-defined]
    params += [prep(child, True, connection) for prep in pair.preps]

    def saved(parent_pk: Any, child_pk: Any) -> None:
        for obj, pk in ((parent, parent_pk), (child, child_pk)):
            setattr(obj, type(obj)._meta.pk.attname, pk)
            obj._state.db = using
            obj._state.adding = False
        setattr(child, link, parent)
        for obj in (parent, child):
            post_save.send(
                sender=type(obj),
                instance=obj,
                created=True,
                update_fields=None,
                raw=False,
                using=using,
            )

    held = held_writes() if using == "default" else None
    if held is not None:
        # Written with the check-in's writes and the text's own (salama.messaging.inbound):
        # their primary keys are set, and post_save sent, once they are.
        count = len(pair.parent.preps)
        writes = [
            Write(pair.parent_sql, params[:count], pair.parent_pk),
            Write(pair.child_sql, params[count:], pair.child_pk),
        ]
        held.hold_writes(writes, lambda answers: saved(*answers))
        return
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(pair.sql, params)
        child_pk, parent_pk = cursor.fetchone()
    saved(parent_pk, child_pk)


class _Update:
    def __init__(self, model: type[Model], names: tuple[str, ...], alias: str) -> None:
        connection = connections[alias]
        meta = model._meta
        quote = connection.ops.quote_name
        self.fields: list[Any] = [meta.get_field(n) for n in names]
        # A set: Django's check tests each of the model's fields for membership in it.
        self.relations = frozenset(f for f in self.fields if f.is_relation)
        self.preps = [_preparer(f) for f in self.fields]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in self.fields)
        table = quote(meta.db_table)
        self.sql = f"UPDATE {table} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608


def update(obj: Model, fields: Sequence[str], *, using: str = "default") -> None:
    """``obj.save(update_fields=fields)`` of concrete local fields, its UPDATE written once."""
    write, done = update_write(obj, fields, using=using)
    with transaction.mark_for_rollback_on_error(using), connections[using].cursor() as cursor:
        cursor.execute(write.sql, write.params)
        changed = cursor.rowcount
    done(changed or None)


def update_write(
    obj: Model, fields: Sequence[str], *, using: str = "default"
) -> tuple[Write, Callable[[Any], None]]:
    """`update` as a Write to run with others (salama.safety.prepared.write_together), and what
    to call with its answer once it ran (refused when no row changed)."""
    model = type(obj)
    names = tuple(fields)
    key = (model, names, _key(using))
    compiled = _updates.get(key)
    if compiled is None:
        with _lock:
            compiled = _updates[key] = _Update(model, names, using)
    connection = connections[using]
    frozen = frozenset(names)
    pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=frozen)
    obj._prepare_related_fields_for_save(  # type: ignore[attr-defined]
        operation_name="save", fields=compiled.relations
    )
    params = [prep(obj, False, connection) for prep in compiled.preps]
    pk = model._meta.pk
    params.append(pk.get_db_prep_value(obj.pk, connection))

    def done(changed: Any) -> None:
        if not changed:
            raise DatabaseError("Save with update_fields did not affect any rows.")
        obj._state.db = using
        obj._state.adding = False
        post_save.send(
            sender=model, instance=obj, created=False, update_fields=frozen, raw=False, using=using
        )

    return Write(compiled.sql, params), done


Converter = Callable[[Any, Any, Any], Any]


class Reader:
    """A model's concrete columns read at table alias `table` in a hand-written SELECT
    (``Reader.sql``), and the instance built from them as the ORM would build it."""

    def __init__(self, model: type[Model], table: str, alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        self.model, self.alias = model, alias
        self.attnames = [f.attname for f in fields]
        self.width = len(fields)
        self.sql = ", ".join(f"{quote(table)}.{quote(f.column)}" for f in fields)
        self.converters: list[tuple[int, list[Converter], Any]] = []
        for i, field in enumerate(fields):
            col = field.get_col(table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self.converters.append((i, found, col))

    def build(self, row: Sequence[Any], start: int) -> Any:
        """The instance from ``row[start : start + self.width]``."""
        values = list(row[start : start + self.width])
        connection = connections[self.alias]
        for i, found, col in self.converters:
            value = values[i]
            for converter in found:
                value = converter(value, col, connection)
            values[i] = value
        return self.model.from_db(self.alias, self.attnames, values)


def reader(model: type[Model], table: str, alias: str = "default") -> Reader:
    key = (model, table, _key(alias))
    found = _readers.get(key)
    if found is None:
        with _lock:
            found = _readers[key] = Reader(model, table, alias)
    return found
