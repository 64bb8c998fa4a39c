"""Our own long statements converted once per process (PostgreSQL, psycopg 3).

psycopg turns a statement's ``%s`` placeholders into ``$1, $2, …`` on every execution, and
remembers the result only for statements shorter than 4 KB with at most 50 parameters: it
keeps its cache small against ORMs that build a new multi-row INSERT for every batch size. Our
hottest statements are long and written once (salama.safety.prepared.write_together: a text's
check-in, person, reply and row in one statement has 70 parameters; a batch's many-row INSERT
hundreds), so psycopg re-parses each of them on every call (about a twentieth of a text's
CPU). This cursor keeps a second, small cache of its own for such statements (64 of them, up
to 32 KB and 4,000 parameters), and converts everything else exactly as psycopg does.

It is set on each new PostgreSQL connection (`use_on`, from AccountsConfig.ready) in place of
Django's cursor class, of which it is a subclass. A psycopg whose internals differ from the
ones this relies on is left alone (`usable`): only the caching is lost.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

LONGEST = 32 * 1024
MOST_PARAMS = 4000
KEPT = 64


def _classes() -> tuple[type, type] | None:
    try:
        from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]
        from psycopg import _queries
    except ImportError:  # not psycopg 3
        return None
    convert = getattr(_queries, "_query2pg_nocache", None)
    if convert is None or not usable(_queries.PostgresQuery):
        return None
    converted = lru_cache(maxsize=KEPT)(convert)

    class Query(_queries.PostgresQuery):  # type: ignore[misc,valid-type]
        cache = converted

        def convert(self, query: Any, vars: Any) -> None:
            if (
                vars is None
                or not isinstance(query, str | bytes)
                or len(vars) <= _queries.MAX_CACHED_STATEMENT_PARAMS
                and len(query) <= _queries.MAX_CACHED_STATEMENT_LENGTH
                or len(vars) > MOST_PARAMS
                or len(query) > LONGEST
            ):
                super().convert(query, vars)
                return
            raw = self._ensure_bytes(query)
            self.query, self._want_formats, self._order, self._parts = converted(
                raw, self._tx.encoding
            )
            self.dump(vars)

    class Cursor(ServerBindingCursor):  # type: ignore[misc,valid-type]
        _query_cls = Query

    return Cursor, ServerBindingCursor


def usable(query_class: type) -> bool:
    """Whether psycopg's query class still has the parts this relies on."""
    return all(hasattr(query_class, name) for name in ("convert", "dump", "_ensure_bytes"))


_found: tuple[type, type] | None | bool = False


def use_on(sender: Any, connection: Any, **kwargs: Any) -> None:
    """django.db.backends.signals.connection_created: a PostgreSQL connection that binds on the
    server (prepared statements, salama/settings.py) gets this cursor class."""
    global _found
    if connection.vendor != "postgresql":
        return
    if _found is False:
        _found = _classes()
    if not _found:
        return
    cursor, django_cursor = _found  # type: ignore[misc]
    if connection.connection.cursor_factory is django_cursor:
        connection.connection.cursor_factory = cursor
