"""salama.lib.dbquery: long statements with many parameters (the held writes of a text or a
batch) converted once per process, the same as psycopg converts them, on PostgreSQL."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_connections_use_the_cursor_and_it_converts_as_psycopg_does() -> None:
    from psycopg import _queries

    from salama.lib.dbquery import MOST_PARAMS

    connection.ensure_connection()
    cursor_class = connection.connection.cursor_factory
    query_class = cursor_class._query_cls
    assert query_class is not _queries.PostgresQuery
    count = 120  # more than psycopg's own cache takes (50)
    sql = "SELECT " + ", ".join(f"%s::int + {i}" for i in range(count))
    assert count <= MOST_PARAMS
    from psycopg.adapt import Transformer

    transformer = Transformer(connection.connection)
    ours = query_class(transformer)
    theirs = _queries.PostgresQuery(transformer)
    values = list(range(count))
    before = query_class.cache.cache_info().hits
    for _ in range(2):
        ours.convert(sql, values)
    theirs.convert(sql, values)
    assert query_class.cache.cache_info().hits == before + 1
    assert ours.query == theirs.query and ours.params == theirs.params
    assert ours.types == theirs.types
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        assert list(cursor.fetchone()) == [2 * i for i in range(count)]
