"""The content API: public articles, sections, topics, authors, galleries,
search. (The token-authenticated editor endpoints are ``desk.api``.)

Handlers stay thin: fetch with a queryset, ask the access decision, return the
objects; the schemas of ``website.schemas`` serialise them. Lists never carry a
body; the detail carries ``visible_body`` of the decision (``ArticleOut.for_reader``).

Handlers give the schemas evaluated lists, never querysets: a query failing while
a schema serialises comes out as a ValidationError (a 500), where one failing in
the handler is the database's own error (a 503 when it is down).
"""

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated

from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from ninja import Query, Router, Schema
from pydantic import Field

from apitokens.auth import PUBLIC, PUBLIC_SECURITY
from articles.models import (
    Article,
    Author,
    Gallery,
    GalleryPhoto,
    Section,
    Topic,
)
from articles.selectors import related_articles
from core.api_http import ApiError, json_bytes, json_payload, mark_personal, mark_shareable
from core.api_schemas import MAX_ID, Moment, Text, id_path, responses
from core.dates import moment_in_window
from pagecache import store as page_cache
from paywall.cache_policy import cache_policy
from paywall.policy import Surface
from paywall.reading import open_article
from paywall.rules import current_rules
from subscriptions.rights import reader_rights

from . import search as article_search
from .api_cache import list_entry, live_detail
from .api_payloads import (
    LIST_LOOKUPS,
    article_row,
    card_page,
    card_payloads,
    detail_payload,
)
from .schemas import (
    AccessLevelName,
    ArticleListOut,
    ArticleOut,
    ArticlePageOut,
    AuthorListOut,
    GalleryListOut,
    SearchOut,
    SectionListOut,
    TopicListOut,
)

router = Router(tags=["content"], auth=PUBLIC)


# --- loading ----------------------------------------------------------------------------


def _cache_as(request, policy) -> None:
    """Hand the paywall's cache policy to ``core.api_http.finish_response``."""
    if policy.shareable:
        mark_shareable(request)
    else:
        mark_personal(request)


CARD_PREFETCH = (
    Prefetch("topics", queryset=Topic.objects.order_by("name")),
    Prefetch("authors", queryset=Author.objects.order_by("name")),
)


def cards(queryset) -> list[Article]:
    """The articles with what their cards show loaded: a page costs the same for 1 or 50."""
    articles = list(queryset)
    prefetch_related_objects(articles, *CARD_PREFETCH)
    return articles


# --- cursors --------------------------------------------------------------------------


def encode_cursor(*values) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, kinds: tuple) -> list:
    """The values a cursor carries; a cursor we did not make is a 400, not a 500."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        out = []
        for value, kind in zip(values, kinds, strict=True):
            if kind is datetime:
                parsed = datetime.fromisoformat(value)
                if timezone.is_naive(parsed):
                    raise ValueError
                out.append(moment_in_window(parsed))
            elif kind is int:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError
                if not 0 < value <= MAX_ID:
                    raise ValueError
                out.append(value)
            else:
                if not isinstance(value, str) or "\x00" in value:
                    raise ValueError
                out.append(value)
        return out
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError) as exc:
        raise ApiError(400, "invalid_cursor", "The cursor is not one this API gave out.") from exc


# --- public endpoints -------------------------------------------------------------------


class ArticleFilters(Schema):
    """Filters of the article list (all optional, combined with AND)."""

    section: Text | None = Field(None, max_length=80, description="Section slug.")
    topic: Text | None = Field(None, max_length=80, description="Topic slug.")
    author: Text | None = Field(None, max_length=120, description="Author slug.")
    access_level: AccessLevelName | None = None
    published_since: Moment | None = None
    published_until: Moment | None = None
    cursor: Text | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=50)


@router.get(
    "/articles",
    response=responses(200, ArticlePageOut),
    summary="List published articles",
    openapi_extra=PUBLIC_SECURITY,
)
def article_list(request, filters: Query[ArticleFilters]):
    """Published articles, newest first, with cursor pagination. Cards carry no body."""
    mark_shareable(request)
    entry = list_entry(filters.model_dump())
    if (hit := entry.get("-")) is not None:
        return json_bytes(hit["html"])
    after = None
    if filters.cursor:
        after = tuple(decode_cursor(filters.cursor, kinds=(datetime, int)))
    page = card_page(
        at=timezone.now(),
        limit=filters.limit + 1,
        after=after,
        **{name: getattr(filters, name) or None for name in LIST_LOOKUPS},
    )
    more = len(page) > filters.limit
    page = page[: filters.limit]
    next_cursor = encode_cursor(page[-1]["published_at"], page[-1]["id"]) if more else None
    response = json_payload({"items": card_payloads(page), "next_cursor": next_cursor})
    entry.store("-", response.content, {})
    return response


@router.get(
    "/articles/{article_id}",
    response=responses(200, ArticleOut),
    summary="Read one article",
    openapi_extra=PUBLIC_SECURITY,
)
def article_detail(request, article_id: int = id_path("article")):
    """The article with the body the reader is entitled to.

    Not entitled: the teaser, and ``access`` says why (``reason``) and how many
    metered articles are left. Entitled: the whole body.
    """
    found = live_detail(article_id, at=timezone.now())
    if found is None:
        raise Http404
    row, topics, authors, links = found
    facts = article_row(row, (topic["slug"] for topic in topics))
    rights = reader_rights(request)
    decision = open_article(request, rights=rights, article=facts, surface=Surface.API)
    _cache_as(request, cache_policy(decision, rights=rights, surface=Surface.API))
    return json_payload(
        detail_payload(row, facts, decision, topics=topics, authors=authors, links=links)
    )


@router.get(
    "/articles/{article_id}/related",
    response=responses(200, ArticleListOut),
    summary="Related articles",
    openapi_extra=PUBLIC_SECURITY,
)
def article_related(
    request, article_id: int = id_path("article"), limit: int = Query(5, ge=1, le=20)
):
    """Curated related articles first, then others sharing a topic. Cards only."""
    mark_shareable(request)
    article = get_object_or_404(Article.objects.published().only("pk"), pk=article_id)
    return {"items": cards(related_articles(article, limit=limit))}


@router.get(
    "/sections",
    response=responses(200, SectionListOut),
    summary="Sections",
    openapi_extra=PUBLIC_SECURITY,
)
def section_list(request):
    """Every section in the paper's order."""
    mark_shareable(request)
    return {"items": list(Section.objects.all())}


@router.get(
    "/topics",
    response=responses(200, TopicListOut),
    summary="Topics",
    openapi_extra=PUBLIC_SECURITY,
)
def topic_list(
    request,
    hot: bool = Query(False, description="Only hot topics, in the editors' order."),
    limit: int = Query(50, ge=1, le=200),
):
    """Topics by name, or only the hot ones in their order."""
    mark_shareable(request)
    qs = Topic.objects.all()
    if hot:
        qs = qs.filter(is_hot=True).order_by("hot_order", "name")
    return {"items": list(qs[:limit])}


@router.get(
    "/authors",
    response=responses(200, AuthorListOut),
    summary="Authors",
    openapi_extra=PUBLIC_SECURITY,
)
def author_list(
    request,
    cursor: Annotated[Text | None, Query(max_length=200)] = None,
    limit: int = Query(50, ge=1, le=200),
):
    """Byline profiles by name, with cursor pagination."""
    mark_shareable(request)
    qs = Author.objects.order_by("name", "pk")
    if cursor:
        name, pk = decode_cursor(cursor, kinds=(str, int))
        qs = qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    page = list(qs[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor(page[-1].name, page[-1].pk) if more else None
    return {"items": page, "next_cursor": next_cursor}


@router.get(
    "/galleries",
    response=responses(200, GalleryListOut),
    summary="Photo galleries",
    openapi_extra=PUBLIC_SECURITY,
)
def gallery_list(request, limit: int = Query(10, ge=1, le=50)):
    """Published galleries, newest first, each with its photos in order."""
    mark_shareable(request)
    galleries = (
        Gallery.objects.filter(published_at__lte=timezone.now())
        .select_related("section")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=GalleryPhoto.objects.select_related("photo", "photo__agency"),
            )
        )
        .order_by("-published_at", "-pk")[:limit]
    )
    return {"items": list(galleries)}


@router.get(
    "/search",
    response=responses(200, SearchOut),
    summary="Search articles",
    openapi_extra=PUBLIC_SECURITY,
)
def search(
    request,
    q: Annotated[Text, Query(min_length=2, max_length=100, examples=["rupiah"])],
    limit: int = Query(20, ge=1, le=50),
):
    """Published articles matching ``q``, best first: the reader site's search.

    Headline and dek are searched for everyone; body text only where the
    reader may read the whole article. Snippets come from what the reader
    may see (the teaser of a gated article), as plain text.
    """
    rights = reader_rights(request)
    policy = cache_policy(None, rights=rights, surface=Surface.SEARCH)
    _cache_as(request, policy)
    now = timezone.now()
    rules = current_rules(now=now)
    # The answer is kept as the site's results pages are (``website.views.search``):
    # per query, limit, cache class and rules version, emptied with the lists;
    # as the JSON sent (an entry of an older release holds the payload).
    entry = None
    if rights.searches_as_class:
        page = page_cache.search_page(q, limit, rules_version=rules.version, kind="api-search")
        entry = page_cache.list_entry(page, language=get_language(), entitlement=policy.cache_class)
        hit = entry.get(policy.variant)
        if hit is not None:
            kept = hit["html"]
            return json_bytes(kept) if isinstance(kept, bytes) else json_payload(kept)
    found = article_search.found_articles(q, rights=rights, limit=limit, rules=rules, now=now)
    cards = card_payloads([row for row, _text in found])
    items = [
        {"article": card, "snippet": text} for card, (_row, text) in zip(cards, found, strict=True)
    ]
    response = json_payload({"query": q, "items": items})
    if entry is not None:
        entry.store(policy.variant, response.content, {})
    return response
