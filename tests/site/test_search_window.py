"""A search finds its words' newest matches in the newest periods first
(``Article.search_periods``, ``website.search_plans.period_window``).

The window plan must find exactly what the plan over all matches finds:
the newest ``SEARCH_CANDIDATES`` matches, ranked the same, with body words
only where the reader may search the body. A window that holds fewer than
the bound is not the newest matches, and the search runs over all of them.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from articles.models import Article
from core.plans import index_scans
from paywall.rights import ANONYMOUS, PREMIUM_CONTENT, signed_in
from paywall.rules import Override, OverrideKind, OverrideTarget, PaywallRules
from tests.conftest import requires_postgres
from tests.factories import ArticleFactory, SectionFactory
from website import search, search_plans

pytestmark = [pytest.mark.django_db, requires_postgres]

SUBSCRIBER = signed_in(user_id=None, entitlements=frozenset({PREMIUM_CONTENT}))
DAY = timedelta(days=1)


def periods_of(article) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(search_periods) FROM articles_article WHERE id = %s",
            [article.pk],
        )
        return set(cursor.fetchone()[0])


@pytest.fixture
def archive():
    """Forty-eight articles, one every nine days back from now (about 15
    periods): "nikel" in the headline of every third, in the body of every
    other (free, or premium where n is a multiple of 4), with one premium
    article whose only "nikel" is in its body; "tambang" in every headline."""
    now = timezone.now()
    made = []
    for n in range(48):
        made.append(
            ArticleFactory(
                headline=f"Kabar tambang {n}" + (" nikel" if n % 3 == 0 else ""),
                dek="",
                body=f"<p>Laporan {n}" + (" soal nikel" if n % 2 == 0 else "") + ".</p>",
                access_level=Article.AccessLevel.PREMIUM if n % 4 == 0 else "free",
                published_at=now - n * 9 * DAY - timedelta(minutes=n),
            )
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE articles_article")
    search_plans.forget_statistics()
    yield now, made
    search_plans.forget_statistics()  # the next test reads its own database's statistics


def ranked(query, rights, *, now, plan, window=None):
    levels = sorted(rights.search_levels)
    return list(search.ranked_queryset(query, levels=levels, now=now, plan=plan, window=window))


def test_each_word_is_kept_with_the_period_the_article_was_published_in():
    at = timezone.now() - 40 * DAY
    article = ArticleFactory(
        headline="Nikel naik", dek="", body="<p>Tambang baru.</p>", published_at=at
    )
    tokens = periods_of(article)
    period = search_plans.period_of(at)
    assert {f"t:nikel@{period}", f"t:naik@{period}", f"b:tambang@{period}"} <= tokens
    assert not any(token.startswith("b:nikel") for token in tokens)

    # Moved in time (a correction of the date, an import): the words move too.
    Article.objects.filter(pk=article.pk).update(published_at=at - 90 * DAY)
    moved = search_plans.period_of(at - 90 * DAY)
    assert f"t:nikel@{moved}" in periods_of(article)
    assert f"t:nikel@{period}" not in periods_of(article)

    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    assert Article.objects.values_list("search_periods", flat=True).get(pk=draft.pk) is None


@pytest.mark.parametrize("rights", [ANONYMOUS, SUBSCRIBER], ids=["anonymous", "subscriber"])
@pytest.mark.parametrize("query", ["nikel", "tambang", "tambang nikel", "laporan"])
def test_a_window_finds_what_all_matches_find_or_all_of_its_own(settings, archive, rights, query):
    now, _ = archive
    settings.SEARCH_CANDIDATES = 5
    everything = ranked(query, rights, now=now, plan="bitmap")
    settings.SEARCH_CANDIDATES = 1000
    unbounded = ranked(query, rights, now=now, plan="bitmap")
    published = dict(Article.objects.filter(pk__in=unbounded).values_list("pk", "published_at"))
    settings.SEARCH_CANDIDATES = 5
    lexemes = search_plans.window_lexemes(query)
    newest = search_plans.period_of(now)
    for periods in range(1, 18):
        window = search_plans.window_queries(lexemes, now=now, periods=periods)
        found = ranked(query, rights, now=now, plan="window", window=window)
        if len(found) >= 5:
            assert found == everything
        else:
            inside = {
                pk for pk, at in published.items() if search_plans.period_of(at) > newest - periods
            }
            assert set(found) == inside
    assert len(everything) == 5


def test_a_premium_body_word_is_found_by_a_subscriber_only(settings, archive):
    now, made = archive
    settings.SEARCH_CANDIDATES = 100  # every match is a candidate
    window = search_plans.window_queries(("nikel",), now=now, periods=16)
    anonymous = ranked("nikel", ANONYMOUS, now=now, plan="window", window=window)
    subscriber = ranked("nikel", SUBSCRIBER, now=now, plan="window", window=window)
    # Article 4 is premium, with "nikel" in its body only (not a multiple of 3).
    gated = made[4]
    assert gated.pk in subscriber
    assert gated.pk not in anonymous
    premium_bodies = {a.pk for n, a in enumerate(made) if n % 4 == 0 and n % 3}
    assert not premium_bodies & set(anonymous)


def test_a_search_uses_the_window_and_runs_again_over_all_matches_when_it_falls_short(
    monkeypatch, settings, archive
):
    now, _ = archive
    settings.SEARCH_CANDIDATES = 4
    levels = sorted(ANONYMOUS.search_levels)
    plans = []
    real = search._ranked_by

    def spy(query, plan, **kwargs):
        found = real(query, plan, **kwargs)
        plans.append((plan, len(found)))
        return found

    monkeypatch.setattr(search, "_ranked_by", spy)
    expected = ranked("tambang", ANONYMOUS, now=now, plan="bitmap")

    rules = search.current_rules(now=now)
    assert search.ranking("tambang", levels=levels, rules=rules, now=now) == expected
    assert plans == [("window", 4)]

    # The statistics promise more than the window holds: the search runs again.
    plans.clear()
    # A window of periods still to come holds nothing.
    empty = search_plans.window_queries(("tambang",), now=now + 400 * DAY, periods=2)
    monkeypatch.setattr(search, "period_window", lambda *args, **kwargs: empty)
    assert search.ranking("tambang", levels=levels, rules=rules, now=now) == expected
    assert [plan for plan, _ in plans] == ["window", search.candidate_plan("tambang", levels)]


def test_a_window_is_searched_with_sequential_scans_off_and_only_the_window(archive):
    """The window's ranking runs inside ``core.plans.index_scans``: the
    setting goes off just before it and comes back just after, and the
    search over all matches (no window) is planned as before."""
    from django.test.utils import CaptureQueriesContext

    now, _ = archive
    levels = sorted(ANONYMOUS.search_levels)
    rules = search.current_rules(now=now)
    window = search_plans.window_queries(("tambang",), now=now, periods=20)
    with CaptureQueriesContext(connection) as captured:
        search._ranked_by("tambang", "window", levels=levels, rules=rules, now=now, window=window)
        search._ranked_by("tambang", "bitmap", levels=levels, rules=rules, now=now)
    statements = [query["sql"] for query in captured.captured_queries]

    assert statements[0] == "SET enable_seqscan = off"
    assert "search_periods" in statements[1]
    assert statements[2] == "RESET enable_seqscan"
    assert len(statements) == 4
    assert "search_periods" not in statements[3]


def test_only_plain_words_are_searched_by_window():
    assert search_plans.window_lexemes("Harga Nikel") == ("harga", "nikel")
    for query in ['"harga nikel"', "harga or nikel", "harga -nikel", "nikel*", ""]:
        assert search_plans.window_lexemes(query) is None


def test_a_window_of_words_with_quotes_is_valid_tsquery():
    window = search_plans.window_queries(("o'neil", "back\\slash"), now=timezone.now(), periods=2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::tsquery::text, %s::tsquery::text", [window.title, window.body])
        title, body = cursor.fetchone()
    assert "t:o''neil@" in title
    assert "b:back\\slash@" in body or "b:back\\\\slash@" in body


def test_a_window_that_falls_short_is_widened_by_what_it_held(monkeypatch, settings, archive):
    """The statistics may promise more than a window holds (a word they count
    in bodies the reader may not search): the second window is sized by the
    matches the first one found, and finds the newest matches."""
    now, _ = archive
    settings.SEARCH_CANDIDATES = 6  # the newest period (30 days) holds at most 4 articles
    levels = sorted(ANONYMOUS.search_levels)
    narrow = search_plans.window_queries(("tambang",), now=now, periods=1)
    monkeypatch.setattr(search, "period_window", lambda *args, **kwargs: narrow)
    plans = []
    real = search._ranked_by

    def spy(query, plan, **kwargs):
        found = real(query, plan, **kwargs)
        plans.append((plan, kwargs.get("window") and kwargs["window"].periods, len(found)))
        return found

    monkeypatch.setattr(search, "_ranked_by", spy)
    expected = ranked("tambang", ANONYMOUS, now=now, plan="bitmap")

    rules = search.current_rules(now=now)
    assert search.ranking("tambang", levels=levels, rules=rules, now=now) == expected
    (first, second) = plans
    assert first[:2] == ("window", 1)
    assert 0 < first[2] < 6
    assert second[0] == "window"
    assert second[1] > 1  # wider than the first
    assert second[2] == 6


@pytest.mark.parametrize(
    "query", ["Harga nikel", "yang harga", "covid19 naik", "Kafé Jakarta 2024", "PEMERINTAH"]
)
def test_plain_words_are_the_lexemes_the_search_itself_requires(query):
    """The window's words are what ``websearch_to_tsquery`` makes of the query:
    every lexeme required, a stop word dropped, each word stemmed alike."""
    lexemes = search_plans.window_lexemes(query)
    with connection.cursor() as cursor:
        # What ``website.search`` asks for: ``SearchQuery(search_type="websearch")``.
        cursor.execute(
            "SELECT websearch_to_tsquery(%s::regconfig, %s)::text", [search_plans.CONFIG, query]
        )
        (required,) = cursor.fetchone()
    assert required == " & ".join(f"'{lexeme}'" for lexeme in lexemes)


def test_the_articles_of_each_period_are_known_without_reading_the_table(archive):
    """``ANALYZE``'s histogram of ``published_at`` for the older periods, a
    count for the newest buckets (where a common word's window lies)."""
    now, made = archive
    actual: dict[int, int] = {}
    for article in made:
        period = search_plans.period_of(article.published_at)
        actual[period] = actual.get(period, 0) + 1
    estimated = dict(search_plans.lexeme_statistics()["periods"])
    assert set(estimated) == set(actual)
    assert abs(sum(estimated.values()) - len(made)) < 1
    for period, articles in actual.items():
        assert abs(estimated[period] - articles) <= 1
    # The newest period is counted, not estimated.
    newest = max(actual)
    assert estimated[newest] == actual[newest]


REGISTERED = signed_in(user_id=None, entitlements=frozenset())


@pytest.mark.parametrize(
    ("override", "rights", "level"),
    [
        (OverrideKind.FREE, ANONYMOUS, "premium"),
        (OverrideKind.REGISTRATION_ONLY, REGISTERED, "metered"),
    ],
    ids=["free-for-anonymous", "registration-only-for-registered"],
)
def test_a_body_the_rules_open_to_the_reader_is_found_in_the_window(override, rights, level):
    """The body's scan reads rows by their stored level: an article the rules
    open to the reader (a crisis switch on a premium section; a metered article
    in a registration-only section, for a registered reader) is found by a word
    of its body, as over all matches, and its neighbour outside the section is not."""
    now = timezone.now()
    opened = ArticleFactory(
        headline="Kabar hari ini",
        body="<p>Harga kobalt naik.</p>",
        access_level=level,
        section=SectionFactory(slug="opini"),
        published_at=now - DAY,
    )
    closed = ArticleFactory(
        headline="Kabar lain",
        body="<p>Harga kobalt turun.</p>",
        access_level=level,
        section=SectionFactory(slug="olahraga"),
        published_at=now - 2 * DAY,
    )
    rules = PaywallRules(3, 10, 2, overrides=(Override(OverrideTarget.SECTION, "opini", override),))
    levels = sorted(rights.search_levels)
    window = search_plans.window_queries(("kobalt",), now=now, periods=2)

    def found(plan, window=None):
        return list(
            search.ranked_queryset(
                "kobalt", levels=levels, rules=rules, now=now, plan=plan, window=window
            )
        )

    assert closed.pk not in found("window", window)
    assert found("window", window) == found("bitmap") == [opened.pk]


def test_the_window_reads_no_body_row_at_a_level_the_reader_may_not_search(archive):
    """An anonymous reader may search free bodies only: the index leaves out
    the premium articles whose bodies hold the word before their rows are read
    (nothing is left for the effective level's test to throw away)."""
    now, _ = archive
    # Premium bodies hold the word: without the narrowing, the CTE would drop them.
    premium = Article.objects.filter(access_level="premium", body__contains="nikel")
    assert premium.exists()
    window = search_plans.window_queries(("nikel",), now=now, periods=16)
    ranking = search.ranked_queryset(
        "nikel",
        levels=sorted(ANONYMOUS.search_levels),
        rules=search.current_rules(now=now),
        now=now,
        plan="window",
        window=window,
    )
    with index_scans():
        plan = ranking.explain(analyze=True).splitlines()
    body = next(n for n, line in enumerate(plan) if "CTE Scan on body" in line)
    kept = int(re.search(r"actual time=\S+ rows=(\d+)", plan[body]).group(1))
    assert kept > 0
    assert not any("Rows Removed by Filter" in line for line in plan[body : body + 3])
