"""``core.plans.custom_plans``: statements inside are planned with their values.

psycopg prepares a statement on the server from its fifth run on (the
settings' ``prepare_threshold``), and PostgreSQL may then plan it once for all
values. Inside ``custom_plans()`` nothing is prepared, so each run is planned
for its own values (search: a common word and a rare one want other plans).
"""

import pytest
from django.db import connection

from core.plans import custom_plans
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
