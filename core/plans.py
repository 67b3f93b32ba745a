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

Inside ``index_scans()`` PostgreSQL plans without sequential scans where an
index can answer: for the queries whose row estimates cannot be trusted (see
there).
"""

from contextlib import contextmanager

from django.db import DatabaseError
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


@contextmanager
def index_scans(connection=default_connection):
    """Statements run inside are planned without sequential scans where an
    index can answer them (PostgreSQL's ``enable_seqscan``, for this block only).

    For a search's period window (``website.search_plans``): an OR of many
    ``lexeme@period`` tokens, most of them too rare for ``ANALYZE``'s sample
    of the column, which the planner then guesses at a default share each. Summed
    over 17-29 periods the guess reached an eighth of the table, and the
    planner read all 100,000 rows' vectors instead of the GIN index: 2.8-3.5 s
    a search instead of 6-11 ms, for 2-12% of the bench's words (month names
    among them), which ones depending on the sample the last ``ANALYZE``
    drew. The index plan is what the window is for, whatever the estimate;
    the two statements cost about 0.2 ms.

    The setting is reset when the block ends; where a failure aborted the
    transaction, its rollback undoes the setting instead."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    failed = True
    try:
        yield
        failed = False
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_seqscan")
        except DatabaseError:
            if not failed:
                raise
            # The block's failure aborted the transaction: its rollback
            # restores the setting, and the block's own error is the one to see.
