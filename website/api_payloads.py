"""The content API's article JSON, built from ``.values()`` rows.

The shapes are the schemas of ``website.schemas`` (``ArticleCardOut``,
``ArticleOut``, ``SearchHitOut``), which the OpenAPI document shows. Building
them from rows instead of validating model instances through the schemas
(pydantic walking every attribute through ninja's getter, a model instance
per row with its body, a ``reverse()`` per link) makes an article list about
five times cheaper (``bench/results/``). ``tests/api/test_payloads.py`` holds
every payload here equal to what the schema makes of the same articles.

The paywall is asked exactly as before: the detail's body is
``visible_body`` of the decision ``paywall.reading.open_article`` gives for
the row's facts (``ArticleRow`` carries what the policy reads), and cards
never carry a body.
"""

from dataclasses import dataclass
from functools import cache, lru_cache

from django.core.signals import setting_changed
from django.db import connection
from django.db.models import Q
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

from articles.body import visible_body
from articles.models import Article, Author, Topic, article_path, path_place
from articles.sanitize import clean_body
from articles.schemas import PHOTO_FIELDS, photo_payload
from core.api_http import api_datetime
from core.prepared import fits, prepared
from core.reversing import URL_SETTINGS
from paywall.policy import AccessDecision, ArticleFacts

TopicLink = Article.topics.through
AuthorLink = Article.authors.through

PHOTO_PREFIX = "lead_photo__"
CARD_VALUES = (
    "id",
    "slug",
    "headline",
    "dek",
    "section_id",
    "section__name",
    "section__slug",
    "section__parent_id",
    "lead_photo_caption",
    "published_at",
    "created_at",
    "updated_at",
    "access_level",
    "lead_photo_id",
    *(PHOTO_PREFIX + field for field in PHOTO_FIELDS),
)
LIVENESS = ("status", "embargo_until", "expires_at")  # with ``published_at``: ``is_live``
DETAIL_VALUES = (
    *CARD_VALUES,
    "body",
    "dateline_city",
    "source_attribution",
    "editor_id",
    "editor__name",
    "editor__slug",
    "editor__role_title",
    *LIVENESS,
)


@cache
def card_rows():
    """Articles as ``CARD_VALUES`` rows; chain filters on it. Built once per
    process: resolving two dozen related fields costs more than running the query."""
    return Article.objects.values(*CARD_VALUES)


@cache
def detail_rows():
    """Articles as ``DETAIL_VALUES`` rows, like ``card_rows``."""
    return Article.objects.values(*DETAIL_VALUES)


# The article list's filters that compare a value as it is, by their name in
# ``website.api.ArticleFilters``, and their lookup.
LIST_LOOKUPS = {
    "section": "section__slug",
    "topic": "topics__slug",
    "author": "authors__slug",
    "access_level": "access_level",
    "published_since": "published_at__gte",
    "published_until": "published_at__lte",
}


def card_page(*, at, limit: int, after: tuple | None = None, **filters) -> list[dict]:
    """Live ``CARD_VALUES`` rows, newest first, at most ``limit``: those matching
    ``filters`` (``LIST_LOOKUPS``, None for "any") and older than ``after``
    (``(published_at, pk)`` of the last row of the page before).

    Each combination of filters and limit is built and compiled once per
    process (``core.prepared``): compiling the query cost more than running it."""
    given = {name: value for name, value in filters.items() if value is not None}
    query = _card_page_query(tuple(sorted(given)), after is not None, limit)
    if after is not None:
        given["after_at"], given["after_pk"] = after
    return query(at=at, **given)


@lru_cache(maxsize=64)
def _card_page_query(names: tuple[str, ...], paged: bool, limit: int):
    def build(*, at, **values):
        rows = card_rows().published(at=at)
        for name in names:
            rows = rows.filter(**{LIST_LOOKUPS[name]: values[name]})
        if paged:
            at_, pk = values["after_at"], values["after_pk"]
            rows = rows.filter(Q(published_at__lt=at_) | Q(published_at=at_, pk__lt=pk))
        return rows.order_by("-published_at", "-pk")[:limit]

    build.__qualname__ = f"card_page[{','.join(names)}{',after' * paged}:{limit}]"
    return prepared(build)


@prepared
def _live_detail(*, pk: int, at):
    return detail_rows().published(at=at).filter(pk=pk)


def live_detail_row(pk: int, *, at) -> dict | None:
    """The ``DETAIL_VALUES`` row of live article ``pk``, or None."""
    if not fits(Article._meta.pk, pk):
        return None
    found = _live_detail(pk=pk, at=at)
    return found[0] if found else None


def liveness_of(row: dict) -> dict:
    """What ``articles.liveness.is_live`` reads of a ``DETAIL_VALUES`` row."""
    return {name: row[name] for name in (*LIVENESS, "published_at")}


@dataclass(frozen=True)
class ArticleRow(ArticleFacts):
    """The facts the paywall policy reads, and the body ``visible_body`` cuts."""

    body: str = ""


class Links:
    """Reader-site paths of sections, topics, authors and articles.

    ``reverse()`` costs more than the rest of a card, and a list links the same
    sections, topics and authors over and over, so each of their paths is
    remembered per process (bounded), keyed by everything it depends on: the
    URL name and arguments, the active language and script prefix.
    ``setting_changed`` (tests) forgets them. An article's path is made from
    its row (``articles.models.article_path``), not remembered: most articles
    of a list are named once. One ``Links`` serves one request: it reads the
    language, script prefix and time zone once (each read goes through a
    thread-local lookup).
    """

    def __init__(self):
        self.language = get_language()
        self.prefix = get_script_prefix()
        self.place = path_place()

    def of(self, name: str, slug: str) -> str:
        return _reverse(name, (("slug", slug),), self.language, self.prefix)

    def article(self, row: dict) -> str:
        """``Article.get_absolute_url`` for a row."""
        return article_path(
            pk=row["id"],
            slug=row["slug"],
            section_slug=row["section__slug"] if row["section_id"] else "",
            moment=row["published_at"] or row["created_at"],
            place=self.place,
        )


@lru_cache(maxsize=4096)
def _reverse(name: str, kwargs: tuple, language, prefix: str) -> str:
    return reverse(name, kwargs=dict(kwargs))


@receiver(setting_changed)
def _forget_paths(*, setting, **kwargs):
    if setting in URL_SETTINGS:
        _reverse.cache_clear()


def author_payload(pk: int, name: str, slug: str, role_title: str, links: Links) -> dict:
    """``AuthorOut`` of an author's values."""
    return {
        "id": pk,
        "name": name,
        "slug": slug,
        "url": links.of("website:author", slug),
        "role_title": role_title,
    }


TOPIC, AUTHOR = 1, 2


def _people_sql(count: int) -> str:
    """Both lists in one round trip; constant SQL (the ORM would compile the
    ``UNION`` anew on every request, which cost more than running it)."""
    topics, authors = Topic._meta.db_table, Author._meta.db_table
    marks = ", ".join(["%s"] * count)
    # Table names come from the models; the ids are parameters.
    select = "SELECT l.article_id, {kind}, p.id, p.name, p.slug, {hot}, {title} FROM {links} l "
    join = "JOIN {people} p ON p.id = l.{person}_id WHERE l.article_id IN ({marks})"
    parts = [
        (select + join).format(
            kind=kind, hot=hot, title=title, links=link, people=people, person=person, marks=marks
        )
        for kind, hot, title, link, people, person in (
            (TOPIC, "p.is_hot", "''", TopicLink._meta.db_table, topics, "topic"),
            (AUTHOR, "NULL", "p.role_title", AuthorLink._meta.db_table, authors, "author"),
        )
    ]
    return " UNION ALL ".join(parts) + " ORDER BY 2, 4, 3"


def tags_and_bylines(ids: list[int], links: Links) -> tuple[dict, dict]:
    """``TopicOut`` and ``AuthorOut`` lists of each article, each by name (as the
    schemas' prefetches order them): one query for both."""
    with connection.cursor() as cursor:
        cursor.execute(_people_sql(len(ids)), [*ids, *ids])
        rows = cursor.fetchall()
    by_topic: dict[int, list[dict]] = {pk: [] for pk in ids}
    by_author: dict[int, list[dict]] = {pk: [] for pk in ids}
    for article_id, kind, pk, name, slug, is_hot, title in rows:
        if kind == TOPIC:
            url = links.of("website:topic", slug)
            topic = {"id": pk, "name": name, "slug": slug, "url": url, "is_hot": bool(is_hot)}
            by_topic[article_id].append(topic)
        else:
            by_author[article_id].append(author_payload(pk, name, slug, title, links))
    return by_topic, by_author


def _card(row: dict, topics: list[dict], authors: list[dict], links: Links) -> dict:
    section = None
    if row["section_id"]:
        section = {
            "id": row["section_id"],
            "name": row["section__name"],
            "slug": row["section__slug"],
            "url": links.of("website:section", row["section__slug"]),
            "parent_id": row["section__parent_id"],
        }
    photo = None
    if row["lead_photo_id"]:
        photo = photo_payload(row["lead_photo_id"], row, PHOTO_PREFIX)
    return {
        "id": row["id"],
        "url": links.article(row),
        "headline": row["headline"],
        "dek": row["dek"],
        "section": section,
        "topics": topics,
        "authors": authors,
        "lead_photo": photo,
        "lead_photo_caption": row["lead_photo_caption"] or (photo["caption"] if photo else ""),
        "published_at": api_datetime(row["published_at"]),
        "updated_at": api_datetime(row["updated_at"]),
        "access_level": row["access_level"],
    }


def card_payloads(rows: list[dict]) -> list[dict]:
    """``ArticleCardOut`` of each row (``CARD_VALUES``), in order: one more
    query (topics and authors) however many rows there are."""
    if not rows:
        return []
    links = Links()
    ids = [row["id"] for row in rows]
    topics, authors = tags_and_bylines(ids, links)
    return [_card(row, topics[row["id"]], authors[row["id"]], links) for row in rows]


def article_row(row: dict, topic_slugs=()) -> ArticleRow:
    """What the paywall policy reads of a row with ``CARD_VALUES`` and the body
    (the detail's, a search result's) and of its topics' slugs."""
    return ArticleRow(
        pk=row["id"],
        access_level=row["access_level"],
        section_slug=row["section__slug"] if row["section_id"] else "",
        topic_slugs=frozenset(topic_slugs),
        published_at=row["published_at"],
        body=row["body"],
    )


# ``clean_body`` is a pure function of the text and costs more than the rest of
# the detail; the few bodies (and teasers) read most are kept (bounded: memory).
_clean_body = lru_cache(maxsize=128)(clean_body)


def detail_payload(
    row: dict, facts: ArticleRow, decision: AccessDecision, *, topics, authors, links
) -> dict:
    """``ArticleOut`` of a ``DETAIL_VALUES`` row: the body ``decision`` (the
    paywall's answer for ``facts``) lets through."""
    editor = None
    if row["editor_id"]:
        editor = author_payload(
            row["editor_id"],
            row["editor__name"],
            row["editor__slug"],
            row["editor__role_title"],
            links,
        )
    return {
        **_card(row, topics, authors, links),
        "editor": editor,
        "dateline_city": row["dateline_city"],
        "source_attribution": row["source_attribution"],
        "body": _clean_body(visible_body(facts, decision)),
        "access": {
            "granted": decision.granted,
            "reason": str(decision.reason),
            "meter_left": decision.meter_left,
        },
    }


def detail_parts(row: dict) -> tuple[list[dict], list[dict], Links]:
    """The topics and authors of one detail row (one query) and its links."""
    links = Links()
    topics, authors = tags_and_bylines([row["id"]], links)
    return topics[row["id"]], authors[row["id"]], links
