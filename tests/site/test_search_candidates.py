"""Search ranks a bounded set of candidates: the newest ``SEARCH_CANDIDATES`` matches.

Within the bound the order is the relevance order an unbounded search gives
(an older, better match still comes first); a match older than the bound's
newest matches is not found.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from paywall.rights import ANONYMOUS
from tests.conftest import requires_postgres
from tests.factories import ArticleFactory
from website.search import search_articles

pytestmark = pytest.mark.django_db


def found(query: str) -> list[int]:
    return [result.pk for result in search_articles(query, rights=ANONYMOUS)]


@pytest.fixture
def matches():
    """Six matches for "nikel": the best (the word in the headline and the dek) is
    the oldest; the newer ones only mention it in a free article's body."""
    now = timezone.now()
    best = ArticleFactory(
        headline="Nikel, nikel dan nikel lagi",
        dek="Harga nikel dunia",
        published_at=now - timedelta(days=9),
    )
    newer = [
        ArticleFactory(
            headline=f"Kabar tambang {n}",
            dek="",
            body=f"<p>Produksi tambang naik {n} persen; nikel disebut sekali.</p>",
            published_at=now - timedelta(days=n),
        )
        for n in range(1, 6)
    ]
    return best, newer


@requires_postgres
def test_within_the_bound_the_best_match_comes_first_though_it_is_the_oldest(settings, matches):
    best, newer = matches
    settings.SEARCH_CANDIDATES = 10_000
    unbounded = found("nikel")
    settings.SEARCH_CANDIDATES = 6

    bounded = found("nikel")

    assert bounded == unbounded
    assert bounded[0] == best.pk
    assert set(bounded) == {best.pk, *(a.pk for a in newer)}


def test_a_match_older_than_the_newest_candidates_is_not_ranked(settings, matches):
    best, newer = matches
    settings.SEARCH_CANDIDATES = 5

    bounded = found("nikel")

    assert best.pk not in bounded
    assert set(bounded) == {a.pk for a in newer}
    settings.SEARCH_CANDIDATES = 6
    assert best.pk in found("nikel")


@requires_postgres
def test_a_common_word_walks_the_newest_articles_and_ranks_as_the_bitmap_does(
    monkeypatch, settings, django_assert_max_num_queries
):
    """The candidates' plan follows PostgreSQL's estimate of the matches (its
    lexeme statistics after ANALYZE); both plans give the same results."""
    from django.db import connection

    from website import search, search_plans

    now = timezone.now()
    for n in range(40):
        ArticleFactory(
            headline=f"Harga cabai naik {n}" if n % 4 else f"Harga emas {n}",
            dek="Pasar" if n % 5 else "Harga dan inflasi",
            published_at=now - timedelta(hours=n),
        )
    ArticleFactory(headline="Nikel langka", published_at=now - timedelta(days=3))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    search_plans.forget_statistics()
    settings.SEARCH_CANDIDATES = 8  # the walk pays from sqrt(8 x 41) = 18 matches
    levels = sorted(ANONYMOUS.search_levels)
    assert search.candidate_plan("harga", levels) == "newest-first"
    assert search.candidate_plan("nikel", levels) == "bitmap"
    with django_assert_max_num_queries(3):  # the statistics at most once per process
        walked = found("harga")
    assert search.candidate_plan("harga", levels) == "newest-first"
    monkeypatch.setattr(search, "candidate_plan", lambda query, levels: "bitmap")
    assert found("harga") == walked
    assert len(walked) == 8


@requires_postgres
def test_a_common_word_the_search_stems_is_estimated_by_its_stem(settings):
    """The statistics hold stemmed lexemes ("pemerintah" is stored as "perintah"):
    a common word that stems must not be taken for a rare one (at 100,000
    articles the bitmap plan took 280 ms for it, the walk 5 ms)."""
    from django.db import connection

    from website import search, search_plans

    now = timezone.now()
    for n in range(40):
        ArticleFactory(
            headline=f"Pemerintah umumkan kebijakan {n}",
            dek="",
            published_at=now - timedelta(hours=n),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    search_plans.forget_statistics()
    settings.SEARCH_CANDIDATES = 8
    levels = sorted(ANONYMOUS.search_levels)
    assert search.candidate_plan("pemerintah", levels) == "newest-first"
    assert search.candidate_plan("Pemerintah umumkan", levels) == "newest-first"
    assert search.candidate_plan("qvzlangka", levels) == "bitmap"
    assert len(found("pemerintah")) == 8
