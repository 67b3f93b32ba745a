"""Statements PostgreSQL plans for their values each time they run.

The settings turn on psycopg's prepared statements (``prepare_threshold``):
from a statement's sixth run on, PostgreSQL may keep one *generic* plan for
it, made without looking at the values. That is what the reader pages' reads
want (the same plan for every article id), and the wrong thing for a query
whose best plan depends on its values: a search for a common word walks the
date index, one for a rare word reads its matches from the GIN indexes, and a
generic plan does one of them for every word (search at 100,000 articles:
46 ms of database CPU per new query with prepared statements, 17.6 without).

Inside ``custom_plans()`` psycopg neither prepares a statement nor runs one it
prepared before, so PostgreSQL plans each run with its values.
"""

from contextlib import contextmanager

from django.db import connection as default_connection


@contextmanager
def custom_plans(connection=default_connection):
    """Statements run inside are planned with their values (PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    driver = connection.connection
    before = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = before
