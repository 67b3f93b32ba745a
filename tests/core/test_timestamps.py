"""Dates read from PostgreSQL by psycopg's compiled loader (``core.timestamps``)
are the dates Django's own loader gives: the same instant, the same ``tzinfo``,
the same refusals."""

from datetime import UTC, datetime

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import requires_postgres
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.django_db, requires_postgres]

QUERY = "SELECT %s::timestamptz, (%s::timestamptz + interval '1 microsecond')"


def read(text: str, *, djangos: bool):
    """``text`` as a ``timestamptz`` and one microsecond later, by this
    connection's loader or by Django's."""
    with connection.cursor() as cursor:
        if djangos:
            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(QUERY, [text, text])
        return cursor.fetchone()


def test_this_connection_reads_dates_with_the_compiled_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, 0
    )
    assert loader.__name__ == "UtcTimestamptzLoader"
    assert loader.timezone is connection.timezone  # what Django's cursors compare


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 2),  # noqa: DTZ001 - Hypothesis takes naive bounds
        max_value=datetime(9999, 12, 30),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_a_date_reads_as_djangos_loader_reads_it(moment):
    ours = read(moment.isoformat(), djangos=False)
    theirs = read(moment.isoformat(), djangos=True)

    assert ours == theirs
    assert ours[0] == moment
    assert all(value.tzinfo is UTC for value in ours)


@pytest.mark.parametrize("text", ["infinity", "-infinity", "0044-03-15 12:00:00 BC"])
def test_a_date_python_cannot_hold_is_refused_as_django_refuses_it(text):
    with pytest.raises(DataError) as ours:
        read(text, djangos=False)
    with pytest.raises(DataError) as theirs:
        read(text, djangos=True)

    assert str(ours.value) == str(theirs.value)


def test_a_model_reads_its_dates_in_utc():
    published = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    article = ArticleFactory(published_at=published)

    article.refresh_from_db()

    assert article.published_at == published
    assert article.published_at.tzinfo is UTC
