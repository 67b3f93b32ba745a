"""How a search finds its candidates: which plan, from what statistics.

A search ranks the newest ``candidate_bound()`` matches of its words
(``website.search``). Finding those is most of what a new query costs the
database, and the cheapest way depends on the words:

- plain words the statistics know: the newest periods that should hold the
  bound's worth of matches, read from ``Article.search_periods``' index
  (``period_window``; a window that falls short is widened once by what it
  held, ``wider_window``);
- otherwise, by how many articles match (``candidate_plan``): a walk of the
  date index for a common word, every match from the GIN indexes for a rare
  one.

The estimates come from PostgreSQL's own statistics (``ANALYZE``), read once
per process every ``STATS_SECONDS`` (``lexeme_statistics``); they size plans,
never decide what a reader finds.
"""

import itertools
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection
from django.db.models import Lookup

from articles.models import Article

CONFIG = "indonesian"
# How many of the newest matches a search ranks (setting ``SEARCH_CANDIDATES``).
DEFAULT_CANDIDATES = 300


def candidate_bound() -> int:
    """How many matches, newest first, a search ranks (``SEARCH_CANDIDATES``)."""
    return getattr(settings, "SEARCH_CANDIDATES", DEFAULT_CANDIDATES)


def query_terms(query: str) -> list[str]:
    """The query's words, lower case, as the estimate and the snippets' marks read them."""
    words = re.findall(r"\w[\w-]*", query.lower())
    return [w for w in words if len(w) > 1 and w not in {"or", "and"}][:10]


# --- Choosing the candidates' plan by the estimated number of matches -------------

STATS_SECONDS = 600
_stats: dict = {}
_stats_lock = threading.Lock()


def forget_statistics() -> None:
    """Read the statistics again at the next search (a test's own rows)."""
    global _stats
    _stats = {}


def lexeme_statistics() -> dict:
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
    stats = lexeme_statistics()
    body_share = sum(stats["levels"].get(level, 0.0) for level in levels)
    shares = [
        min(1.0, stats["title"].get(lexeme, 0.0) + stats["body"].get(lexeme, 0.0) * body_share)
        for lexemes in _lexemes(query_terms(query)).values()
        for lexeme in lexemes
    ]
    return stats["rows"] * min(shares) if shares else 0.0


def candidate_plan(query: str, levels: list[str]) -> str:
    """``"newest-first"`` (walk the date index, stop at the bound) when the
    matches are so many that the bound's worth of them lies among the newest
    few thousand articles, else ``"bitmap"`` (every match from the GIN
    indexes, then the newest). The two costs are about equal where the
    matches number sqrt(bound x articles): 5,500 at 300 and 100,000."""
    rows = lexeme_statistics()["rows"]
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
# 100,000 articles (``ranking`` in-process, ms per search): margins 1.1-1.25
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
    stats = lexeme_statistics()
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
        for period, count in lexeme_statistics().get("periods", ())
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
    periods = lexeme_statistics().get("periods", ())
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
