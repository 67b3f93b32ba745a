"""Article search: PostgreSQL full text with ranking, a plain fallback on SQLite.

What a reader may *find* follows what they may *read*: headline and dek are
searchable by everyone; body text only in articles the reader's decision
grants outright (free, registered for signed-in readers, everything for
subscribers), by the article's effective level under the paywall rules'
overrides (``ArticleQuerySet.with_effective_level``). Snippets are cut from
the text the reader may see (each result's own decision: the teaser for gated
articles), so a search never reveals gated words.

On PostgreSQL the vectors are stored on the row (``search_title``,
``search_body``: columns ``articles`` migration 0004 adds and its trigger
keeps current on every write) with GIN indexes, so matching is an index
lookup and ranking reads stored vectors instead of re-parsing every matching
body per search. Which matches a search ranks, and how it finds them, is
``website.search_plans``.
"""

import hashlib
import html
import re
import threading
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache, lru_cache

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, FloatField, Q, TextField, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from articles.body import visible_text
from articles.models import Article
from core.plans import custom_plans, index_scans
from core.prepared import prepared
from pagecache import store as page_cache
from paywall.policy import AccessDecision, Surface, decide, stored_levels
from paywall.rights import AccessLevel, ReaderRights
from paywall.rules import PaywallRules, current_rules

from .api_payloads import CARD_VALUES, PHOTO_PREFIX, Links, article_row
from .search_plans import (
    CONFIG,
    Window,
    candidate_bound,
    candidate_plan,
    period_window,
    query_terms,
    wider_window,
)

# A body match weighs less than a headline or dek match.
BODY_WEIGHT = 0.4

MAX_QUERY_LENGTH = 200
ALL_LEVELS = frozenset(AccessLevel.values)
SNIPPET_CHARS = 240


@dataclass
class Result:
    """One found article as the results page shows it (``search_articles``): its
    row (``PAGE_VALUES``), its address and its section's, and the snippet its
    own paywall decision lets through, as HTML and as text. Never its body."""

    row: dict
    snippet: SafeString  # HTML: the passage escaped, the query's words in <mark>
    text: str  # the same passage as plain text
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
    caller checks that it found ``bound`` of them: ``ranking``).

    Only ids and the rank are read here: the rows of the page a reader sees
    are read by id afterwards (``live_rows``), so the ranking step never joins
    sections and photos to candidates it does not show."""
    now = now or timezone.now()
    rules = rules or current_rules(now=now)
    base = Article.objects.published(at=now).with_effective_level(rules=rules, now=now)
    bound = candidate_bound() if bound is None else bound
    if connection.vendor == "postgresql":
        plan = plan or candidate_plan(query, levels)
        ranked = _postgres(base, query, levels, rules=rules, plan=plan, bound=bound, window=window)
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


def ranking(query: str, *, levels: list[str], rules: PaywallRules, now) -> list[int]:
    """The ranking worked out now (``ranked_ids`` keeps it for the pages that
    follow): ``ranked_queryset``'s ids, planned for this query's words (``core.plans``):
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
    # A window is read from its index, whatever the planner estimates
    # (``core.plans.index_scans``: its estimates of many rare tokens are guesses).
    with custom_plans(), index_scans() if window is not None else nullcontext():
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
        lambda: ranking(query, levels=levels, rules=rules, now=now),
        keep_local=False,
    )


# What the results page shows of a result (the kicker, headline, date and
# snippet; no photo): a card row without the lead photo's fields, whose
# renditions are JSON decoded per row (a tenth of a results page's web CPU).
PAGE_VALUES = tuple(field for field in CARD_VALUES if not field.startswith(PHOTO_PREFIX))


@cache
def _result_rows(photos: bool):
    """Articles as card rows (``CARD_VALUES``; ``PAGE_VALUES`` without
    ``photos``) with their body's text (for the snippet; the body itself only
    where no text is kept), built once per process: resolving two dozen
    related fields costs more than the query."""
    body = Case(
        When(body_text__isnull=True, then=F("body")), default=Value(""), output_field=TextField()
    )
    fields = CARD_VALUES if photos else PAGE_VALUES
    return Article.objects.values(*fields, "body_text", body_unkept=body)


@prepared
def _live_cards(*, pks: list[int], now):
    return _result_rows(True).published(at=now).filter(pk__in=pks)


@prepared
def _live_page_rows(*, pks: list[int], now):
    return _result_rows(False).published(at=now).filter(pk__in=pks)


def live_rows(pks: list[int], *, now, photos: bool = True) -> list[dict]:
    """The card rows (and bodies) of the live articles among ``pks``, in the
    order of ``pks``: rows, not model instances (a model instance per row and
    per related object cost more than the rest of a result); without their
    lead photo's fields unless ``photos``."""
    if not pks:
        return []
    read = _live_cards if photos else _live_page_rows
    by_pk = {row["id"]: row for row in read(pks=list(pks), now=now)}
    return [by_pk[pk] for pk in pks if pk in by_pk]


def _topic_slugs(pks: list[int]) -> dict[int, set[str]]:
    """Each article's topic slugs (the rules' topic overrides read them)."""
    slugs: dict[int, set[str]] = {pk: set() for pk in pks}
    tagged = Article.topics.through.objects.filter(article_id__in=pks)
    for article_id, slug in tagged.values_list("article_id", "topic__slug"):
        slugs[article_id].add(slug)
    return slugs


def _ranked(
    query: str,
    *,
    levels: list[str],
    rules: PaywallRules,
    now,
    offset: int,
    limit: int,
    photos: bool,
):
    """``(row, facts, kept)`` of articles ``[offset:offset + limit]`` of the
    ranking: each card row, what the paywall policy reads of it and its body
    as text (``Article.body_text``)."""
    page = ranked_ids(query, levels=levels, rules=rules, now=now)[offset : offset + limit]
    rows = live_rows(page, now=now, photos=photos)
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


def found_articles(
    query: str,
    *,
    rights: ReaderRights,
    limit: int = 20,
    offset: int = 0,
    rules: PaywallRules | None = None,
    now=None,
    photos: bool = True,
) -> list[tuple[dict, str]]:
    """Published articles matching ``query``, best first: ``(row, text)``, each
    article's card row (``CARD_VALUES``; ``PAGE_VALUES``, without the lead
    photo's fields, where ``photos`` is False) and its snippet as plain text.

    Body text is searchable, and shows in snippets, only where the paywall
    lets this reader read the article outright (``ReaderRights.search_levels``);
    each snippet is cut from what the article's own decision lets through.
    ``rules`` and ``now`` default to the rules in force now (a caller that keeps
    the results under the rules' version passes the rules it read). The API
    sends these (``website.api``); the results page shows ``search_articles``.
    """
    query = clean_query(query)
    if not query:
        return []
    levels = sorted(rights.search_levels)
    now = now or timezone.now()
    rules = rules or current_rules(now=now)
    found = _ranked(
        query, levels=levels, rules=rules, now=now, offset=offset, limit=limit, photos=photos
    )
    terms = query_terms(query)
    results = []
    for row, facts, kept in found:
        # Each result's own decision: the rules' overrides may change its level.
        decision = decide(
            rights=rights, article=facts, surface=Surface.SEARCH, rules=rules, now=now
        )
        text = snippet_text(facts, decision=decision, terms=terms, dek=row["dek"], kept=kept)
        results.append((row, text))
    return results


def search_articles(
    query: str,
    *,
    rights: ReaderRights,
    limit: int = 20,
    offset: int = 0,
    rules: PaywallRules | None = None,
    now=None,
) -> list[Result]:
    """``found_articles`` as the results page shows them: rows without photos
    (the page shows none), each snippet as HTML with the query's words marked,
    and the addresses. The API sends only the text and makes its cards'
    addresses itself, so it does not pay for these."""
    found = found_articles(
        query, rights=rights, limit=limit, offset=offset, rules=rules, now=now, photos=False
    )
    terms = query_terms(clean_query(query))
    links = Links()  # what the page's addresses share, read once
    return [
        Result(
            row=row,
            snippet=mark_terms(text, terms),
            text=text,
            url=links.article(row),
            section_url=links.of("website:section", row["section__slug"])
            if row["section_id"]
            else "",
        )
        for row, text in found
    ]


def _postgres(
    base, query: str, levels: list[str], *, rules: PaywallRules, plan: str, bound: int, window=None
):
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
        newest, params = _window_sql(base, levels, rules=rules, window=window)
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


def _window_sql(base, levels: list[str], *, rules: PaywallRules, window) -> tuple[str, tuple]:
    """The newest matches within ``window``'s periods, from ``search_periods``'
    index alone: the words in the headline or dek, or in a body that may be
    searched (two scans, so neither rechecks a vector). The body's scan reads
    only rows whose stored level the rules can make one of ``levels``
    (``paywall.policy.stored_levels``); the effective level is tested after."""
    title = base.filter(search_periods__tsquery=window.title).order_by()
    title_sql, title_params = title.values("pk", "published_at").query.sql_with_params()
    # The ORM compiled both scans; the words and levels are parameters.
    found = f"SELECT pk, published_at FROM ({title_sql}) AS title(pk, published_at)"  # noqa: S608
    params = [*title_params]
    head = ""
    if levels:
        body = base.filter(search_periods__tsquery=window.body).order_by()
        stored = stored_levels(levels, rules=rules)
        if stored != ALL_LEVELS:
            # The index holds each row's stored level beside its tokens
            # (``article_level_periods_gin``): rows no rule can open to these
            # readers are never read from the table.
            body = body.filter(access_level__in=sorted(stored))
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


def _fallback(base, query: str, levels: list[str], *, bound: int):
    """SQLite: every word must appear in the headline or dek (or searchable body);
    the newest matches first, within the same bound."""
    for term in query_terms(query):
        visible = Q(headline__icontains=term) | Q(dek__icontains=term)
        if levels:
            visible |= Q(body__icontains=term, effective_level__in=levels)
        base = base.filter(visible)
    newest = base.order_by("-published_at", "-pk").values("pk")[:bound]
    return base.filter(pk__in=newest).order_by("-published_at", "-pk")


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
