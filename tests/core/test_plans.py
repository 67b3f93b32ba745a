"""``core.plans.custom_plans``: statements inside are planned with their values;
``core.plans.index_scans``: and without sequential scans where an index answers.

psycopg prepares a statement on the server from its fifth run on (the
settings' ``prepare_threshold``), and PostgreSQL may then plan it once for all
values. Inside ``custom_plans()`` nothing is prepared, so each run is planned
for its own values (search: a common word and a rare one want other plans).
"""

import pytest
from django.db import DatabaseError, connection, transaction

from core.plans import custom_plans, index_scans
from paywall.rights import ANONYMOUS
from tests.conftest import requires_postgres
from tests.factories import ArticleFactory
from website.search import search_articles

pytestmark = [pytest.mark.django_db, requires_postgres]

PROBE = "SELECT %s::int + 1 AS plans_probe"


def prepared_on_server(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if fragment in row[0]]


def run_probe(times: int) -> None:
    with connection.cursor() as cursor:
        for number in range(times):
            cursor.execute(PROBE, [number])


@pytest.fixture
def prepares_statements():
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        pytest.skip("prepared statements are off (DB_PREPARED_STATEMENTS=0)")


def test_a_statement_run_often_is_prepared_on_the_server_outside(prepares_statements):
    run_probe(10)

    assert prepared_on_server("plans_probe")


def test_inside_nothing_is_prepared_and_the_threshold_comes_back(prepares_statements):
    threshold = connection.connection.prepare_threshold

    with custom_plans():
        run_probe(10)

    assert prepared_on_server("plans_probe") == []
    assert connection.connection.prepare_threshold == threshold


def test_the_threshold_comes_back_when_the_block_fails(prepares_statements):
    threshold = connection.connection.prepare_threshold

    with pytest.raises(RuntimeError), custom_plans():
        raise RuntimeError("a failing search")

    assert connection.connection.prepare_threshold == threshold


def test_search_is_planned_for_each_query_however_often_it_runs(prepares_statements):
    ArticleFactory(headline="Harga cabai naik lagi", access_level="free")
    ArticleFactory(headline="Harga beras turun", access_level="free")

    for word in ["harga", "cabai", "beras", "naik", "turun"] * 3:
        search_articles(word, rights=ANONYMOUS)

    assert prepared_on_server("websearch_to_tsquery") == []
    # The other reads of a page are still prepared.
    run_probe(10)
    assert prepared_on_server("plans_probe")


PERIOD_QUERY = "EXPLAIN SELECT id FROM articles_article WHERE search_periods @@ %s::tsquery"  # noqa: S608


def plan_of_a_window() -> str:
    with connection.cursor() as cursor:
        cursor.execute(PERIOD_QUERY, ["'t:harga@690' | 't:harga@689'"])
        return "\n".join(row[0] for row in cursor.fetchall())


def seqscan_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        return cursor.fetchone()[0]


def test_inside_a_window_is_read_from_the_period_index_whatever_the_estimate():
    """A table of three rows is cheaper to read whole, so the planner reads it
    whole (as it did at 100,000 rows when it guessed a window's tokens
    common); inside, the GIN index answers."""
    for headline in ("Harga cabai naik", "Harga beras turun", "Banjir surut"):
        ArticleFactory(headline=headline)

    assert "Seq Scan on articles_article" in plan_of_a_window()
    with index_scans():
        assert "article_level_periods_gin" in plan_of_a_window()
    assert seqscan_setting() == "on"  # nothing after the block is planned so


def test_the_setting_comes_back_when_the_block_fails():
    seen = []

    def failing_search():
        seen.append(seqscan_setting())
        raise RuntimeError("a failing search")

    with pytest.raises(RuntimeError), index_scans():
        failing_search()

    assert seen == ["off"]
    assert seqscan_setting() == "on"


def test_a_failed_statement_inside_leaves_the_setting_to_the_rollback():
    """Inside a transaction a failed statement aborts it: the reset cannot run,
    and the rollback puts the setting back."""

    def failing_statement():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    with pytest.raises(DatabaseError), transaction.atomic(), index_scans():
        failing_statement()

    assert seqscan_setting() == "on"
