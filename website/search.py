"""Article search: PostgreSQL full text with ranking, a plain fallback on SQLite.

What a reader may *find* follows what they may *read*: headline and dek are
searchable by everyone; body text only in articles the reader's decision
grants outright (free, registered for signed-in readers, everything for
subscribers), by the article's effective level under the paywall rules'
overrides (``ArticleQuerySet.with_effective_level``). Snippets are cut from
the text the reader may see (each result's own decision: the teaser for gated
articles), so a search never reveals gated words.

On PostgreSQL the vectors are stored on the row (``search_title``,
``search_body``: columns ``readersite`` migration 0002 adds and its trigger
keeps current on every write) with GIN indexes, so matching is an index
lookup and ranking reads stored vectors instead of re-parsing every matching
body per search.
"""

import hashlib
import html
import itertools
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, FloatField, Lookup, Q, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles.body import visible_text
from articles.models import Article
from core.plans import custom_plans
from core.prepared import prepared
from pagecache import store as page_cache
from paywall.policy import AccessDecision, Surface, decide
from paywall.rights import ReaderRights
from paywall.rules import PaywallRules, current_rules

from .api_payloads import CARD_VALUES, Links, article_row

CONFIG = "indonesian"
# Stored, indexed vectors (see readersite/migrations/0002_search_vectors.py):
# headline weighted A and dek B; the body unweighted.
TITLE_DOCUMENT = '"articles_article"."search_title"'
BODY_DOCUMENT = '"articles_article"."search_body"'
QUERY = f"websearch_to_tsquery('{CONFIG}'::regconfig, %s)"

# How many of the newest matches a search ranks (setting ``SEARCH_CANDIDATES``).
DEFAULT_CANDIDATES = 300
# A body match weighs less than a headline or dek match.
BODY_WEIGHT = 0.4

MAX_QUERY_LENGTH = 200
SNIPPET_CHARS = 240


@dataclass
class Result:
    """One found article: its card row (``website.api_payloads.CARD_VALUES``,
    what the API's card is made of), its address and its section's, and the
    snippet its own paywall decision lets through. Never its body."""

    row: dict
    snippet: SafeString  # HTML: the passage escaped, the query's words in <mark>
    text: str  # the same passage as plain text (the API's snippet)
    url: str  # the article's address (``Article.get_absolute_url``)
    section_url: str  # its section's, or "" without one

    @property
    def pk(self) -> int:
        return self.row["id"]

    @property
    def headline(self) -> str:
        return self.row["headline"]

    @property
    def section_name(self) -> str | None:
        return self.row["section__name"]

    @property
    def published_at(self):
        return self.row["published_at"]


def clean_query(raw: str) -> str:
    """The reader's query as the search runs it: one line, no control characters, bounded.

    Whitespace controls (tab, newline) become spaces; the other control characters
    (NUL, which PostgreSQL refuses in any text, and the rest of Unicode's Cc) and
    lone surrogates never belong in a search and are dropped.
    """
    query = re.sub(r"\s+", " ", raw or "")
    return re.sub(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]", "", query).strip()[:MAX_QUERY_LENGTH]


def ranked_queryset(
    query: str,
    *,
    levels,
    rules: PaywallRules | None = None,
    now=None,
    plan: str | None = None,
    bound: int | None = None,
    window: "Window | None" = None,
):
    """The ids of the matches a search ranks (``query`` already cleaned), best
    first: the newest ``bound`` matches, ranked by relevance. Body text counts
    only where the effective access level is one of ``levels``. ``plan`` and
    ``bound`` default to ``candidate_plan`` and ``candidate_bound``; the
    ``"window"`` plan reads the matches in ``window``'s periods only (the
    caller checks that it found ``bound`` of them: ``_rank``).

    Only ids and the rank are read here: the rows of the page a reader sees
    are read by id afterwards (``live_rows``), so the ranking step never joins
    sections and photos to candidates it does not show."""
    now = now or timezone.now()
    rules = rules or current_rules(now=now)
    base = Article.objects.published(at=now).with_effective_level(rules=rules, now=now)
    bound = candidate_bound() if bound is None else bound
    if connection.vendor == "postgresql":
        plan = plan or candidate_plan(query, levels)
        ranked = _postgres(base, query, levels, plan=plan, bound=bound, window=window)
    else:
        ranked = _fallback(base, query, levels, bound=bound)
    return ranked.values_list("pk", flat=True)


# The ranking query, built and compiled once per process for each shape
# (``core.prepared``): building and compiling it cost more CPU than PostgreSQL
# spends running it. A shape is the candidates' plan, the reader's levels and
# what of the rules the SQL holds (the overrides, the premium-metered hours;
# not the version: rules built in code all carry the default one); the
# query's words, "now" and the bound are its values. Rules whose SQL holds a
# value of its own (an archive wall's cut-off date) cannot be prepared: those
# searches are built each time (``None`` below).
PREPARED_SHAPES = 32
_prepared: OrderedDict = OrderedDict()
_prepared_lock = threading.Lock()


def _prepared_for(key, build):
    """The prepared query kept under ``key`` (made from ``build`` the first
    time), or None when its shape cannot be prepared."""
    with _prepared_lock:
        run = _prepared.get(key, False)
        if run is False:
            run = _prepared[key] = prepared(build)
        _prepared.move_to_end(key)
        while len(_prepared) > PREPARED_SHAPES:
            _prepared.popitem(last=False)
    return run


def _cannot_prepare(key) -> None:
    with _prepared_lock:
        _prepared[key] = None


def _rank(query: str, *, levels: list[str], rules: PaywallRules, now) -> list[int]:
    """``ranked_queryset``'s ids, planned for this query's words (``core.plans``):
    in the newest periods that should hold the bound's worth of matches
    (``period_window``) when the words allow it, else among all matches. A
    window that held fewer than the bound is not the newest ``bound`` matches:
    the search runs again in a window sized by what it held, then over all
    matches."""
    if connection.vendor != "postgresql":
        return list(ranked_queryset(query, levels=levels, rules=rules, now=now))
    bound = candidate_bound()
    window = period_window(query, levels, now=now, bound=bound)
    if window is not None:
        ids = _ranked_by(query, "window", levels=levels, rules=rules, now=now, window=window)
        if len(ids) >= bound:
            return ids
        # Fewer than the statistics promised: once more, sized by what it held.
        window = wider_window(window, found=len(ids), now=now, bound=bound)
        if window is not None:
            ids = _ranked_by(query, "window", levels=levels, rules=rules, now=now, window=window)
            if len(ids) >= bound:
                return ids
    plan = candidate_plan(query, levels)
    return _ranked_by(query, plan, levels=levels, rules=rules, now=now)


def _ranked_by(
    query: str, plan: str, *, levels: list[str], rules: PaywallRules, now, window=None
) -> list[int]:
    # What of the rules the SQL holds (``ArticleQuerySet.with_effective_level``).
    key = ("rank", plan, tuple(levels), rules.overrides, rules.premium_metered_hours)
    # The window's tsqueries are values, as the words are (one shape per plan).
    periods = {}
    if window is not None:
        periods = (
            {"title_window": window.title, "body_window": window.body}
            if levels
            else {"title_window": window.title}
        )

    def build(*, query, now, bound, title_window="", body_window=""):
        shown = Window(title_window, body_window, 0) if window is not None else None
        return ranked_queryset(
            query, levels=levels, rules=rules, now=now, plan=plan, bound=bound, window=shown
        )

    run = _prepared_for(key, build)
    with custom_plans():
        if run is not None:
            try:
                return run(query=query, now=now, bound=candidate_bound(), **periods)
            except ValueError:  # the shape cannot be prepared (see above)
                _cannot_prepare(key)
        return list(
            ranked_queryset(query, levels=levels, rules=rules, now=now, plan=plan, window=window)
        )


def ranked_ids(query: str, *, levels: list[str], rules: PaywallRules, now) -> list[int]:
    """The ids ``ranked_queryset`` gives, kept for the pages that follow.

    A reader who pages through results asks for the same ranking again, page
    after page; the ranking (every candidate's vectors) is what a search costs
    the database, and reading 20 rows by id costs little. The ids are kept in
    the shared cache, as the results pages are: under the page cache's
    ``global`` and ``lists`` generations (every change to an article or a list
    bumps them), for at most as long as a list page, per words, levels, bound
    and what of the rules decides the levels. They are ids only: the rows,
    decisions and snippets are made per page."""
    named = repr((query, levels, candidate_bound(), rules.version, rules.overrides))
    named += repr(rules.premium_metered_hours)
    digest = hashlib.blake2b(named.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return page_cache.shared_fragment(
        f"search-ranked:{digest}",
        lambda: _rank(query, levels=levels, rules=rules, now=now),
        keep_local=False,
    )


@cache
def _result_rows():
    """Articles as card rows with their body's text (for the snippet; the body
    itself only where no text is kept), built once per process: resolving two
    dozen related fields costs more than the query."""
    body = Case(
        When(body_text__isnull=True, then=F("body")), default=Value(""), output_field=TextField()
    )
    return Article.objects.values(*CARD_VALUES, "body_text", body_unkept=body)


@prepared
def _live_rows(*, pks: list[int], now):
    return _result_rows().published(at=now).filter(pk__in=pks)


def live_rows(pks: list[int], *, now) -> list[dict]:
    """The card rows (and bodies) of the live articles among ``pks``, in the
    order of ``pks``: rows, not model instances (a model instance per row and
    per related object cost more than the rest of a result)."""
    if not pks:
        return []
    by_pk = {row["id"]: row for row in _live_rows(pks=list(pks), now=now)}
    return [by_pk[pk] for pk in pks if pk in by_pk]


def _topic_slugs(pks: list[int]) -> dict[int, set[str]]:
    """Each article's topic slugs (the rules' topic overrides read them)."""
    slugs: dict[int, set[str]] = {pk: set() for pk in pks}
    tagged = Article.topics.through.objects.filter(article_id__in=pks)
    for article_id, slug in tagged.values_list("article_id", "topic__slug"):
        slugs[article_id].add(slug)
    return slugs


def _ranked(query: str, *, levels: list[str], rules: PaywallRules, now, offset: int, limit: int):
    """``(row, facts, kept)`` of articles ``[offset:offset + limit]`` of the
    ranking: each card row, what the paywall policy reads of it and its body
    as text (``Article.body_text``)."""
    rows = live_rows(
        ranked_ids(query, levels=levels, rules=rules, now=now)[offset : offset + limit], now=now
    )
    # Each result's decision reads its topics only where the rules name topics.
    topics = _topic_slugs([row["id"] for row in rows]) if rows and rules.needs_topics else {}
    found = []
    for row in rows:
        # The body's text (the body itself where none is kept) goes with the
        # facts (``visible_text`` cuts the snippet by the decision), not with
        # the row to the page.
        row["body"] = row.pop("body_unkept")
        facts = article_row(row, topics.get(row["id"], ()))
        del row["body"]
        found.append((row, facts, row.pop("body_text")))
    return found


def search_articles(
    query: str,
    *,
    rights: ReaderRights,
    limit: int = 20,
    offset: int = 0,
    rules: PaywallRules | None = None,
    now=None,
) -> list[Result]:
    """Published articles matching ``query``, best first, with safe snippets.

    Body text is searchable, and shows in snippets, only where the paywall
    lets this reader read the article outright (``ReaderRights.search_levels``).
    ``rules`` and ``now`` default to the rules in force now (a caller that keeps
    the results under the rules' version passes the rules it read).
    """
    query = clean_query(query)
    if not query:
        return []
    levels = sorted(rights.search_levels)
    now = now or timezone.now()
    rules = rules or current_rules(now=now)
    found = _ranked(query, levels=levels, rules=rules, now=now, offset=offset, limit=limit)
    terms = _terms(query)
    links = Links()  # what the page's addresses share, read once
    results = []
    for row, facts, kept in found:
        # Each result's own decision: the rules' overrides may change its level.
        decision = decide(
            rights=rights, article=facts, surface=Surface.SEARCH, rules=rules, now=now
        )
        text = snippet_text(facts, decision=decision, terms=terms, dek=row["dek"], kept=kept)
        results.append(
            Result(
                row=row,
                snippet=mark_terms(text, terms),
                text=text,
                url=links.article(row),
                section_url=links.of("website:section", row["section__slug"])
                if row["section_id"]
                else "",
            )
        )
    return results


def candidate_bound() -> int:
    """How many matches, newest first, a search ranks (``SEARCH_CANDIDATES``)."""
    return getattr(settings, "SEARCH_CANDIDATES", DEFAULT_CANDIDATES)


def _postgres(base, query: str, levels: list[str], *, plan: str, bound: int, window=None):
    """The newest ``candidate_bound()`` matches (GIN index lookups on the stored
    vectors, then a top-N by date), ranked by relevance.

    Ranking reads every candidate's vectors, so an unbounded search of a common
    word at 100,000 articles ranked thousands of rows per request; the bound
    keeps the cost of a search flat as the archive grows. Within the bound the
    order is today's (an older, better match still comes first); a match older
    than the bound's newest matches is not found by that query (the reader
    narrows the query, as with any search engine's result cap).
    """
    # Expressions on the stored vectors, not SQL text: the candidates are a
    # subquery, where the table has another alias.
    words = SearchQuery(query, search_type="websearch", config=CONFIG)
    body_searchable = Q(effective_level__in=levels) if levels else Q(pk__in=[])
    condition = Q(search_title=words)
    if levels:
        # The level first: a row whose body may not be searched is never
        # tested against its (large, often TOASTed) body vector.
        condition |= body_searchable & Q(search_body=words)
    if plan == "window":
        newest, params = _window_sql(base, levels, window=window)
    else:
        matches = base.filter(condition).order_by().values("pk", "published_at")
        sql, params = matches.query.sql_with_params()
        if plan == "newest-first":
            # A common word: the newest matches are among the newest articles,
            # so the planner walks the date index and stops at the bound (1-9
            # ms at 100,000 articles where the bitmap below took 1.1-1.4 s).
            newest = "SELECT pk FROM ({}) matches ORDER BY published_at DESC, pk DESC LIMIT %s"
        else:
            # MATERIALIZED: all matches come from the GIN indexes (a bitmap of
            # the two vectors' hits), then the newest are kept. For a rare word
            # a walk of the date index would test most articles' vectors on
            # the way ("inflasi", 3% of articles: 66 ms walking, 17 ms so).
            newest = "WITH matches AS MATERIALIZED ({}) SELECT pk FROM matches ORDER BY "
            newest += "published_at DESC, pk DESC LIMIT %s"
        newest = newest.format(sql)
    # The ORM compiled the inner query; the reader's words are parameters.
    candidates = RawSQL(newest, (*params, bound))  # noqa: S611
    # Body text counts towards the rank only where it may be searched at all.
    rank = SearchRank(F("search_title"), words) + Case(
        When(body_searchable, then=Value(BODY_WEIGHT) * SearchRank(F("search_body"), words)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return (
        base.filter(pk__in=candidates).annotate(rank=rank).order_by("-rank", "-published_at", "-pk")
    )


def _window_sql(base, levels: list[str], *, window) -> tuple[str, tuple]:
    """The newest matches within ``window``'s periods, from ``search_periods``'
    index alone: the words in the headline or dek, or in a body that may be
    searched (two scans, so neither rechecks a vector)."""
    title = base.filter(search_periods__tsquery=window.title).order_by()
    title_sql, title_params = title.values("pk", "published_at").query.sql_with_params()
    # The ORM compiled both scans; the words and levels are parameters.
    found = f"SELECT pk, published_at FROM ({title_sql}) AS title(pk, published_at)"  # noqa: S608
    params = [*title_params]
    head = ""
    if levels:
        body = base.filter(search_periods__tsquery=window.body).order_by()
        body = body.values("pk", "published_at", "effective_level")
        body_sql, body_params = body.query.sql_with_params()
        # MATERIALIZED: the level is tested on each of the window's rows, not
        # by ANDing an index of every article at that level (2.4 ms of a
        # 5 ms search at 100,000 articles).
        head = f"WITH body(pk, published_at, level) AS MATERIALIZED ({body_sql}) "
        found += " UNION SELECT pk, published_at FROM body WHERE level = ANY(%s)"
        params = [*body_params, *params, list(levels)]
    newest = f"{head}SELECT pk FROM ({found}) matches"  # noqa: S608
    newest += " ORDER BY published_at DESC, pk DESC LIMIT %s"
    return newest, tuple(params)


# --- Choosing the candidates' plan by the estimated number of matches -------------

STATS_SECONDS = 600
_stats: dict = {}
_stats_lock = threading.Lock()


def _lexeme_stats() -> dict:
    """PostgreSQL's own statistics of the stored vectors (``ANALYZE`` keeps the
    most common lexemes of each with their share of rows) and of the access
    levels, and how many articles each period holds (for ``period_window``),
    read at most once per process every ``STATS_SECONDS``."""
    global _stats
    now = time.monotonic()
    if _stats and now - _stats["read_at"] < STATS_SECONDS:
        return _stats
    with _stats_lock, connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.attname, s.most_common_elems::text::text[], s.most_common_elem_freqs,"
            " s.most_common_vals::text::text[], s.most_common_freqs, c.reltuples"
            " FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename"
            " WHERE s.tablename = 'articles_article'"
            " AND s.attname IN ('search_title', 'search_body', 'access_level')"
        )
        found = {"read_at": now, "rows": 0.0, "title": {}, "body": {}, "levels": {}}
        for name, elems, elem_freqs, vals, freqs, rows in cursor.fetchall():
            found["rows"] = max(float(rows or 0), 0.0)
            if name == "access_level":
                found["levels"] = dict(zip(vals or [], freqs or [], strict=False))
            else:
                # The frequencies list ends with three summary figures: zip stops first.
                shares = dict(zip(elems or [], elem_freqs or [], strict=False))
                found["title" if name == "search_title" else "body"] = shares
        found["periods"] = _articles_per_period(cursor, rows=found["rows"])
        # Swapped whole: a search in another thread reads the old or the new.
        _stats = found
    return _stats
    with _stats_lock, connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.attname, s.most_common_elems::text::text[], s.most_common_elem_freqs,"
            " s.most_common_vals::text::text[], s.most_common_freqs, c.reltuples"
            " FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename"
            " WHERE s.tablename = 'articles_article'"
            " AND s.attname IN ('search_title', 'search_body', 'access_level')"
        )
        found = {"read_at": now, "rows": 0.0, "title": {}, "body": {}, "levels": {}}
        for name, elems, elem_freqs, vals, freqs, rows in cursor.fetchall():
            found["rows"] = max(float(rows or 0), 0.0)
            if name == "access_level":
                found["levels"] = dict(zip(vals or [], freqs or [], strict=False))
            else:
                # The frequencies list ends with three summary figures: zip stops first.
                shares = dict(zip(elems or [], elem_freqs or [], strict=False))
                found["title" if name == "search_title" else "body"] = shares
        # Published articles per period, newest first (an index-only scan).
        cursor.execute(
            "SELECT floor(extract(epoch FROM published_at) / %s)::bigint AS period, count(*)"
            " FROM articles_article WHERE status = 'published' AND published_at IS NOT NULL"
            " GROUP BY 1 ORDER BY 1 DESC",
            [PERIOD_SECONDS],
        )
        found["periods"] = cursor.fetchall()
        _stats.clear()
        _stats.update(found)
    return _stats


EXACT_BUCKETS = 3  # of the histogram's (about 100): counted, not estimated


def _articles_per_period(cursor, *, rows: float) -> list[tuple[int, float]]:
    """About how many articles each period holds, newest first: ``ANALYZE``'s
    histogram of ``published_at`` (equal shares of the dated rows between its
    bounds, spread evenly over each span), and the newest periods counted (a
    range of the live index). Counting every period read the whole table:
    60-90 ms at 100,000 articles."""
    cursor.execute(
        "SELECT histogram_bounds::text::timestamptz[], null_frac FROM pg_stats"
        " WHERE tablename = 'articles_article' AND attname = 'published_at'"
    )
    found = cursor.fetchone()
    bounds = (found[0] or []) if found else []
    if len(bounds) < 2:
        return []
    counts: dict[int, float] = {}
    share = rows * (1.0 - float(found[1] or 0.0)) / (len(bounds) - 1)
    # The newest periods, from the one holding the last few buckets, are
    # counted instead: a common word's window lies there, and the last bucket
    # ends where ANALYZE's sample did, not at the newest article.
    last = bounds[-min(len(bounds), EXACT_BUCKETS + 1)]
    counted = period_of(last)
    for low, high in itertools.pairwise(b.timestamp() for b in bounds):
        period = math.floor(low / PERIOD_SECONDS)
        while period < counted:
            start, end = period * PERIOD_SECONDS, (period + 1) * PERIOD_SECONDS
            overlap = (min(high, end) - max(low, start)) / (high - low) if high > low else 1.0
            counts[period] = counts.get(period, 0.0) + share * overlap
            if high <= end:
                break
            period += 1
    cursor.execute(
        "SELECT floor(date_part('epoch', published_at) / %s)::bigint, count(*)"
        " FROM articles_article WHERE status = 'published' AND published_at >= %s GROUP BY 1",
        [PERIOD_SECONDS, datetime.fromtimestamp(counted * PERIOD_SECONDS, tz=UTC)],
    )
    for period, articles in cursor.fetchall():
        counts[period] = counts.get(period, 0.0) + articles
    return sorted(counts.items(), reverse=True)


# Each word's lexemes under the text search configuration, as the stored
# vectors (and so the statistics) hold them: "pemerintah" is "perintah",
# "ekonomi" "ekonom". Looked up once per process and word (one query for the
# words of a search not seen yet), at most ``STEMS_KEPT`` words.
STEMS_KEPT = 4096
_stems: dict[str, tuple[str, ...]] = {}
_stems_lock = threading.Lock()


def _lexemes(terms: list[str]) -> dict[str, tuple[str, ...]]:
    missing = [term for term in terms if term not in _stems]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT term, tsvector_to_array(to_tsvector(%s::regconfig, term))"
                " FROM unnest(%s::text[]) AS term",
                [CONFIG, missing],
            )
            found = {term: tuple(lexemes or ()) for term, lexemes in cursor.fetchall()}
        with _stems_lock:
            if len(_stems) + len(found) > STEMS_KEPT:
                _stems.clear()
            _stems.update(found)
    return {term: _stems.get(term, (term,)) for term in terms}


def estimated_matches(query: str, levels: list[str]) -> float:
    """About how many articles match ``query``: per word (stemmed as the
    vectors are), its share of titles plus its share of bodies times the share
    of articles whose body counts; the rarest word bounds the query. A word
    ``ANALYZE`` did not find common counts as rare; a stop word, which the
    search drops, bounds nothing."""
    stats = _lexeme_stats()
    body_share = sum(stats["levels"].get(level, 0.0) for level in levels)
    shares = [
        min(1.0, stats["title"].get(lexeme, 0.0) + stats["body"].get(lexeme, 0.0) * body_share)
        for lexemes in _lexemes(_terms(query)).values()
        for lexeme in lexemes
    ]
    return stats["rows"] * min(shares) if shares else 0.0


def candidate_plan(query: str, levels: list[str]) -> str:
    """``"newest-first"`` (walk the date index, stop at the bound) when the
    matches are so many that the bound's worth of them lies among the newest
    few thousand articles, else ``"bitmap"`` (every match from the GIN
    indexes, then the newest). The two costs are about equal where the
    matches number sqrt(bound x articles): 5,500 at 300 and 100,000."""
    rows = _lexeme_stats()["rows"]
    if rows <= 0:
        return "bitmap"
    threshold = math.sqrt(candidate_bound() * rows)
    return "newest-first" if estimated_matches(query, levels) >= threshold else "bitmap"


# --- A word's newest matches by publication period -----------------------------------

# The span ``Article.search_periods`` tags each lexeme with: ``t:<lexeme>@<n>``
# (title) and ``b:<lexeme>@<n>`` (body) for the n-th 30 days since 1970 (UTC).
# Migration 0012 writes the same number into its SQL.
PERIOD_SECONDS = 30 * 24 * 3600
# A window is sized to hold this many times the bound's worth of matches: the
# statistics are estimates. A window that falls short is widened once, by the
# share of its articles that matched, with a wider margin (a share seen in a
# few periods is an estimate too). Measured over 400 of the bench's words at
# 100,000 articles (``_rank`` in-process, ms per search): margins 1.1-1.25
# 3.6-3.9, 1.5 3.9-4.2, 2.0 4.7-4.9, 3.0 5.2; one window short of the bound
# costs a second, so the best margin is just above 1.
WINDOW_MARGIN = 1.25
WIDER_MARGIN = 1.5
MAX_WINDOW_WORDS = 10


def period_of(moment) -> int:
    """The period ``moment`` falls in (as migration 0012's SQL counts it)."""
    return math.floor(moment.timestamp() / PERIOD_SECONDS)


@dataclass(frozen=True)
class Window:
    """The newest ``periods`` periods, as tsqueries over ``search_periods``:
    every word of the query in the title (``title``), or in the body (``body``)."""

    title: str
    body: str
    periods: int
    lexemes: tuple[str, ...] = ()


def _token(field: str, lexeme: str, period: int) -> str:
    """One quoted tsquery lexeme (``'`` doubled, ``\\`` escaped, as tsquery reads them)."""
    text = f"{field}:{lexeme}@{period}".replace("\\", "\\\\").replace("'", "''")
    return f"'{text}'"


def window_queries(lexemes, *, now, periods: int) -> Window:
    """The tsqueries of ``lexemes``, all of them, in the ``periods`` periods up
    to ``now``'s. An article holds tokens of its own period only, so "each
    lexeme in one of the periods" is "all lexemes, and the article in the window"."""
    newest = period_of(now)

    def every_word(field: str) -> str:
        return " & ".join(
            "(" + " | ".join(_token(field, lexeme, newest - n) for n in range(periods)) + ")"
            for lexeme in lexemes
        )

    return Window(
        title=every_word("t"), body=every_word("b"), periods=periods, lexemes=tuple(lexemes)
    )


def window_lexemes(query: str) -> tuple[str, ...] | None:
    """The lexemes a query requires, when it is plain words: each word one
    lexeme (a stop word none), no operator (``or``, ``-``, quotes). Else None:
    its matches are not "all these lexemes", and the window plan does not apply."""
    words = query.lower().split()
    if not words or len(words) > MAX_WINDOW_WORDS or "or" in words:
        return None
    if not all(re.fullmatch(r"\w+", word) for word in words):
        return None
    found: list[str] = []
    for lexemes in _lexemes(words).values():
        if len(lexemes) > 1:
            return None
        found.extend(lexemes)
    return tuple(dict.fromkeys(found)) or None


def period_window(query: str, levels: list[str], *, now, bound: int) -> Window | None:
    """The newest periods expected to hold ``WINDOW_MARGIN`` times ``bound``
    matches of ``query``: each period's articles times the words' share of
    titles and of searchable bodies (``ANALYZE``'s statistics, the words taken
    as independent). None where that takes the whole archive, where the words
    are not known to the statistics (a rare word: its matches are few anyway)
    or where the query is not plain words."""
    stats = _lexeme_stats()
    if stats["rows"] <= 0 or not stats.get("periods"):
        return None  # nothing to size a window by (no ANALYZE yet)
    lexemes = window_lexemes(query)
    if lexemes is None:
        return None
    body_share = sum(stats["levels"].get(level, 0.0) for level in levels)
    in_titles = math.prod(stats["title"].get(lexeme, 0.0) for lexeme in lexemes)
    in_bodies = math.prod(stats["body"].get(lexeme, 0.0) for lexeme in lexemes) * body_share
    return _window_for(lexemes, min(1.0, in_titles + in_bodies), now=now, bound=bound)


def wider_window(window: Window, *, found: int, now, bound: int) -> Window | None:
    """A window sized by what ``window`` held (``found`` matches, fewer than
    ``bound``) rather than by the statistics (a word the statistics count in
    bodies a reader may not search, say), or None where that is the archive."""
    if found <= 0:
        return None
    newest = period_of(now)
    articles = sum(
        count
        for period, count in _lexeme_stats().get("periods", ())
        if newest - window.periods < period <= newest
    )
    share = found / max(articles, 1)
    return _window_for(window.lexemes, share, now=now, bound=bound, margin=WIDER_MARGIN)


def _window_for(
    lexemes, share: float, *, now, bound: int, margin: float = WINDOW_MARGIN
) -> Window | None:
    """The newest periods whose articles, times ``share``, hold ``margin``
    times ``bound`` matches; None where that is the whole archive."""
    if share <= 0:
        return None
    periods = _lexeme_stats().get("periods", ())
    newest, expected = period_of(now), 0.0
    for period, articles in periods:
        if period > newest:
            continue  # scheduled for later: not live
        expected += articles * share
        if expected >= margin * bound:
            if period == periods[-1][0]:
                return None  # the whole archive
            return window_queries(lexemes, now=now, periods=newest - period + 1)
    return None


class TsqueryText(Lookup):
    """``search_periods__tsquery=text``: the vector matches ``text`` read as a
    tsquery as it stands (quoted lexemes, ``&``, ``|``), not parsed by a text
    search configuration, which would split ``t:word@688``."""

    lookup_name = "tsquery"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @@ ({rhs})::tsquery", (*lhs_params, *rhs_params)


Article._meta.get_field("search_periods").register_lookup(TsqueryText)


def _fallback(base, query: str, levels: list[str], *, bound: int):
    """SQLite: every word must appear in the headline or dek (or searchable body);
    the newest matches first, within the same bound."""
    for term in _terms(query):
        visible = Q(headline__icontains=term) | Q(dek__icontains=term)
        if levels:
            visible |= Q(body__icontains=term, effective_level__in=levels)
        base = base.filter(visible)
    newest = base.order_by("-published_at", "-pk").values("pk")[:bound]
    return base.filter(pk__in=newest).order_by("-published_at", "-pk")


def _terms(query: str) -> list[str]:
    words = re.findall(r"\w[\w-]*", query.lower())
    return [w for w in words if len(w) > 1 and w not in {"or", "and"}][:10]


def snippet_text(
    article, *, decision: AccessDecision, terms: list[str], dek: str = "", kept=None
) -> str:
    """A short plain-text passage of the dek and what ``decision`` lets the reader
    see of ``article``'s body, near the words (``kept``: its ``body_text``)."""
    visible = visible_text(decision, kept=kept, body=article.body)
    text = " ".join(part for part in (dek, visible) if part)
    lower = text.lower()
    positions = [lower.find(t) for t in terms if lower.find(t) >= 0]
    start = max(min(positions) - 60, 0) if positions else 0
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    passage = text[start : start + SNIPPET_CHARS]
    if start + SNIPPET_CHARS < len(text):
        passage = passage.rsplit(" ", 1)[0] + " …"
    if start:
        passage = "… " + passage
    return passage


def mark_terms(passage: str, terms: list[str]) -> SafeString:
    """The passage escaped for HTML, the query's words wrapped in ``<mark>``."""
    # ``html.escape`` is what ``django.utils.html.escape`` runs, without its
    # check for lazy strings (a tenth of a results page's snippet cost).
    marked = html.escape(passage)
    if terms:
        marked = _terms_pattern(tuple(terms)).sub(r"<mark>\1</mark>", marked)
    return mark_safe(marked)  # noqa: S308 - escaped above; only <mark> added


@lru_cache(maxsize=256)
def _terms_pattern(terms: tuple[str, ...]) -> re.Pattern:
    """The escaped words, longest first, as one pattern: made once per search's
    words, not once per result."""
    words = sorted(set(terms), key=len, reverse=True)
    return re.compile("(" + "|".join(re.escape(html.escape(t)) for t in words) + ")", re.I)
