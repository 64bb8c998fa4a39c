"""A one-row ORM query compiled once per process and database, then run again with new values.

Building and compiling a query with joins costs the ORM most of a millisecond of CPU each time
(the API token's query with its user, organisation and membership; the caller's person locked
with its escalation flag), about as much as the database spends answering it. The check-in
path pays it on every request, so these queries are written once with the ORM (same SQL, same
converters, same model instances, `select_related` objects and annotations as the queryset would
give) and only their values change per call.

    find = Prepared(lambda h: ApiToken.objects.filter(token_hash=h).select_related("user"), "")
    token = find("abc…")   # the first ApiToken, as .first() orders, or None

The builder is called once per database with stand-in values (strings, ints or datetimes
unlikely to appear as literals in the query) and the compiled SQL's parameters equal to a stand-in
are replaced by the call's values. A builder whose SQL would differ with its values (an
``if`` on a value, ``None`` turned into IS NULL) must not be prepared: use the ORM there.
"""

import itertools
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.models.signals import post_init, pre_init
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)

_STANDIN_INT = itertools.count(-987_654_001, -1)
_STANDIN_AT = itertools.count(1)


def _standin(example: Any) -> Any:
    if isinstance(example, bool):
        raise TypeError("a boolean cannot be a stand-in (it may be compiled as a literal)")
    if isinstance(example, int):
        return next(_STANDIN_INT)
    if isinstance(example, str):
        return f"\x01prepared-{next(_STANDIN_INT)}\x01"
    if isinstance(example, datetime):
        return datetime(1901, 1, 1, 0, 0, next(_STANDIN_AT) % 60, tzinfo=UTC)
    raise TypeError(f"no stand-in for {type(example).__name__}")


class _Compiled:
    def __init__(
        self,
        queryset: QuerySet[Any],
        standins: list[Any],
        alias: str,
        after: tuple[str, Callable[[], str | None]] | None = None,
    ) -> None:
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        self.inner_sql = sql
        self.after: str | None = None
        if after is not None:
            expression = after[1]()
            if expression is not None:
                # Evaluated on the row the query found, once it is found (and locked: the
                # inner query's FOR UPDATE has taken the lock when the outer SELECT reads it).
                sql = f"SELECT *, {expression} FROM ({sql}) AS found"  # noqa: S608 - ours
                self.after = after[0]
        connection = connections[alias]
        adapted = [self._adapt(connection, s) for s in standins]
        slots: list[int | None] = []
        for value in params:
            matches = [i for i, s in enumerate(adapted) if type(value) is type(s) and value == s]
            slots.append(matches[0] if matches else None)
        if sorted({s for s in slots if s is not None}) != list(range(len(standins))):
            raise ValueError("every value of a prepared query must reach its SQL as a parameter")
        self.sql = sql
        self.for_update = queryset.query.select_for_update
        self.params = list(params)
        self.slots = slots
        self.compiler = compiler
        klass_info = compiler.klass_info
        assert klass_info is not None
        select = compiler.select
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.model = klass_info["model"]
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.related = get_related_populators(klass_info, select, alias)
        self.annotations = dict(compiler.annotation_col_map or {})
        # The converters of each column, found once (results_iter would find them per row).
        expressions = [s[0] for s in select[0 : compiler.col_count]]
        self.converters = list(compiler.get_converters(expressions).items())

    @staticmethod
    def _adapt(connection: Any, value: Any) -> Any:
        if isinstance(value, datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value

    def params_for(self, connection: Any, values: tuple[Any, ...]) -> list[Any]:
        adapted = [self._adapt(connection, v) for v in values]
        return [
            p if slot is None else adapted[slot]
            for p, slot in zip(self.params, self.slots, strict=True)
        ]

    def run(self, alias: str, values: tuple[Any, ...]) -> Any:
        connection = connections[alias]
        if self.for_update and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = self.params_for(connection, values)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = list(row)
            for position, (converters, expression) in self.converters:
                value = row[position]
                for converter in converters:
                    value = converter(value, expression, connection)
                row[position] = value
        obj = _from_db(self.model, alias, self.init_list, row[self.start : self.end])
        for populator in self.related:
            _populate(populator, row, obj)
        for name, position in self.annotations.items():
            setattr(obj, name, row[position])
        if self.after is not None:
            setattr(obj, self.after, row[-1])
        return obj


def _from_db(model: type[Model], alias: str, names: list[str], values: Any) -> Model:
    """Model.from_db without Model.__init__ (most of the cost of loading a row): the loaded
    fields set, the others left deferred, exactly as from_db leaves them. A model with
    pre_init or post_init receivers goes through from_db."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(alias, names, values)
    obj = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = alias
    obj._state = state
    obj.__dict__.update(zip(names, values, strict=True))
    return obj


def _populate(populator: Any, row: Any, from_obj: Model) -> None:
    """RelatedPopulator.populate (Django's select_related loader) with _from_db."""
    if populator.reorder_for_init:
        data = populator.reorder_for_init(row)
    else:
        data = row[populator.cols_start : populator.cols_end]
    if data[populator.pk_idx] is None:
        obj = None
    else:
        obj = _from_db(populator.model_cls, populator.db, populator.init_list, data)
        for nested in populator.related_populators:
            _populate(nested, row, obj)
    populator.local_setter(from_obj, obj)
    if obj is not None:
        populator.remote_setter(obj, from_obj)


class Prepared(Generic[M]):
    def __init__(
        self,
        build: Callable[..., QuerySet[M]],
        *examples: Any,
        alias: str = "default",
        after: tuple[str, Callable[[], str | None]] | None = None,
    ) -> None:
        """`after`: (attribute, a function answering an SQL expression or None): the
        expression is evaluated on the row found, after the query has found and locked it,
        and set as that attribute (salama.safety.checkins: the id of the check-in to come)."""
        self.build = build
        self.examples = examples
        self.alias = alias
        self.after = after
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, alias: str) -> _Compiled:
        connection = connections[alias]
        key = (alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                standins = [_standin(e) for e in self.examples]
                queryset = self.build(*standins)
                if not queryset.ordered:  # as QuerySet.first()
                    queryset = queryset.order_by("pk")
                compiled = _Compiled(queryset[:1], standins, alias, self.after)
                self._compiled[key] = compiled
        return compiled

    def __call__(self, *values: Any) -> M | None:
        if len(values) != len(self.examples):
            raise TypeError(f"expected {len(self.examples)} values, got {len(values)}")
        return self._for(self.alias).run(self.alias, values)  # type: ignore[no-any-return]

    def unchanged(self, values: tuple[Any, ...], fingerprint: str) -> tuple[str, list[Any]]:
        """SQL (an EXISTS, and its parameters) that holds while this query with `values` still
        finds a row whose text hashes to `fingerprint` (PostgreSQL: an `after` expression
        ``md5(found::text)`` read it): to check, inside another statement, that a remembered row
        and those it brought with it are as they were read."""
        compiled = self._for(self.alias)
        params = compiled.params_for(connections[self.alias], values)
        sql = f"EXISTS (SELECT 1 FROM ({compiled.inner_sql}) AS found WHERE md5(found::text) = %s)"  # noqa: S608
        return sql, [*params, fingerprint]


class Insert(Generic[M]):
    """An INSERT of `model` with the columns of `attnames`, its SQL written once per database,
    answering the new rows' ids: the check-in path's hot INSERTs without the ORM's per-call
    compilation (each field's pre_save and get_db_prep_save, the SQL built again).

    The values are given ready for the database, in the order of `attnames`: an encrypted
    field's ciphertext (salama.lib.fields.seal), ids for foreign keys. Nothing else runs:
    no save(), no signals (a model with receivers or a save() of its own that does more than
    refuse a rewrite must not be inserted here)."""

    def __init__(self, model: type[M], *attnames: str, alias: str = "default") -> None:
        self.model = model
        self.attnames = attnames
        self.alias = alias
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        self.columns = [by_attname[a].column for a in attnames]
        self.pk_column = meta.pk.column  # type: ignore[union-attr]
        self._sql: dict[tuple[str, int], str] = {}

    def _statement(self, connection: Any, rows: int) -> str:
        key = (connection.vendor, rows)
        sql = self._sql.get(key)
        if sql is None:
            quote = connection.ops.quote_name
            one = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
            sql = (
                f"INSERT INTO {quote(self.model._meta.db_table)}"  # noqa: S608 - names only
                f" ({', '.join(quote(c) for c in self.columns)})"
                f" VALUES {', '.join([one] * rows)} RETURNING {quote(self.pk_column)}"
            )
            if len(self._sql) < 64:
                self._sql[key] = sql
        return sql

    def __call__(self, *values: Any) -> int:
        return self.many([values])[0]

    def write(self, *values: Any) -> "Write":
        """This INSERT of one row as a Write (`write_together`), answering the new row's id."""
        connection = connections[self.alias]
        if len(values) != len(self.columns):
            raise TypeError(f"expected {len(self.columns)} values, got {len(values)}")
        adapt = connection.ops.adapt_datetimefield_value
        params = [adapt(v) if isinstance(v, datetime) else v for v in values]
        sql = self._statement(connection, 1)
        head, _, _ = sql.rpartition(" RETURNING ")
        return Write(head, params, connection.ops.quote_name(self.pk_column))

    def write_rows(self, rows: "Sequence[Sequence[Any]]") -> "Write":
        """This INSERT of several rows as one Write (`write_together`), answering the first
        new row's id. Rows may be given as `write` leaves them in ``Write.params``."""
        connection = connections[self.alias]
        adapt = connection.ops.adapt_datetimefield_value
        params: list[Any] = []
        for row in rows:
            if len(row) != len(self.columns):
                raise TypeError(f"expected {len(self.columns)} values, got {len(row)}")
            params += [adapt(v) if isinstance(v, datetime) else v for v in row]
        head, _, _ = self._statement(connection, len(rows)).rpartition(" RETURNING ")
        return Write(head, params, connection.ops.quote_name(self.pk_column))

    def many(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """Insert `rows` in one statement; their ids, in the same order."""
        connection = connections[self.alias]
        params: list[Any] = []
        adapt = connection.ops.adapt_datetimefield_value
        for row in rows:
            if len(row) != len(self.columns):
                raise TypeError(f"expected {len(self.columns)} values, got {len(row)}")
            params += [adapt(v) if isinstance(v, datetime) else v for v in row]
        with connection.cursor() as cursor:
            cursor.execute(self._statement(connection, len(rows)), params)
            ids = [r[0] for r in cursor.fetchall()]
        if connection.vendor != "postgresql" and len(ids) > 1:
            ids.sort()  # SQLite answers RETURNING in no promised order; ids rise with the rows
        return ids

    def instance(self, values: dict[str, Any]) -> M:
        """A model instance as loaded from the database: `values` must name every concrete
        field (by attname), else reading a missing one would query the row again."""
        obj = self.model.__new__(self.model)
        state = ModelState()
        state.adding = False
        state.db = self.alias
        obj._state = state
        obj.__dict__.update(values)
        return obj


class Write:
    """One INSERT or UPDATE to run with others as ONE statement (`write_together`): its SQL
    without RETURNING, its parameters, and the one expression it answers (`returning`, with its
    own parameters), NULL when it touched no row."""

    __slots__ = ("sql", "params", "returning", "returning_params")

    def __init__(
        self, sql: str, params: list[Any], returning: str = "1", returning_params: Any = ()
    ) -> None:
        self.sql, self.params = sql, params
        self.returning, self.returning_params = returning, list(returning_params)


_TOGETHER: dict[tuple[str, ...], str] = {}

# In a Write's SQL: the name of the write just before it in `write_together`, whose answer it
# may select (``SELECT …, <PREV>.v FROM <PREV>``: a child row pointing to the parent row written
# just before it). Only on PostgreSQL, where the writes are one statement.
PREV = "\x00prev\x00"


def write_together(writes: list[Write], alias: str = "default") -> list[Any]:
    """Run `writes` in order and answer each one's `returning` (None: no row; the first, for
    a write of several rows). On PostgreSQL
    they are one statement, `WITH w0 AS (…), w1 AS (…) SELECT …` (one round trip instead of
    one per write; every part sees the same snapshot, so no part may read what another writes:
    the foreign keys between them are checked at COMMIT, as Django creates them deferred).
    Elsewhere one statement each."""
    connection = connections[alias]
    if not writes:
        return []
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or len(writes) == 1:
            if any(PREV in w.sql for w in writes):
                raise ValueError("a write that selects the one before it runs only with it")
            answers = []
            for w in writes:
                cursor.execute(f"{w.sql} RETURNING {w.returning}", [*w.params, *w.returning_params])
                row = cursor.fetchone()
                answers.append(None if row is None else row[0])
            return answers
        key = tuple(f"{w.sql}\x00{w.returning}" for w in writes)
        sql = _TOGETHER.get(key)
        if sql is None:
            parts = ", ".join(
                f"w{i} AS ({w.sql.replace(PREV, f'w{i - 1}')} RETURNING {w.returning} AS v)"
                for i, w in enumerate(writes)
            )
            # LIMIT 1: a write of several rows (Insert.write_rows) answers its first.
            answers_sql = ", ".join(f"(SELECT v FROM w{i} LIMIT 1)" for i in range(len(writes)))  # noqa: S608
            sql = f"WITH {parts} SELECT {answers_sql}"  # noqa: S608 - no input in the SQL
            if len(_TOGETHER) < 256:
                _TOGETHER[key] = sql
        params: list[Any] = []
        for w in writes:
            params += w.params
            params += w.returning_params
        cursor.execute(sql, params)
        row = cursor.fetchone()
        return list(row)
