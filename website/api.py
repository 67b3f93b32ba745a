"""The content API: public articles, sections, topics, authors, galleries,
search; and the token-authenticated editor endpoints.

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

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from apitokens.auth import EDITOR_PUBLISH, EDITOR_READ, EDITOR_WRITE, PUBLIC, PUBLIC_SECURITY
from articles import services
from articles.models import (
    Article,
    Author,
    Gallery,
    GalleryPhoto,
    Photo,
    RelatedArticle,
    Section,
    Topic,
)
from articles.selectors import articles_open_to, related_articles
from core.api_http import ApiError, mark_personal, mark_shareable
from core.api_schemas import ERRORS, MAX_ID, Moment, Text, id_path
from core.dates import moment_in_window
from paywall.policy import access_for_request, reader_from_request

from . import search as article_search
from .schemas import (
    AccessLevelName,
    ArticleListOut,
    ArticleOut,
    ArticlePageOut,
    AuthorListOut,
    DraftIn,
    DraftOut,
    DraftPatchIn,
    GalleryListOut,
    PhotoOut,
    RelatedIn,
    ScheduleIn,
    SearchOut,
    SectionListOut,
    TopicListOut,
    TransitionIn,
)

router = Router(tags=["content"], auth=PUBLIC)
editor_router = Router(tags=["editor"])


def responses(ok_status: int, schema) -> dict:
    return {ok_status: schema, **ERRORS}


# --- loading ----------------------------------------------------------------------------

CARD_PREFETCH = (
    Prefetch("topics", queryset=Topic.objects.order_by("name")),
    Prefetch("authors", queryset=Author.objects.order_by("name")),
)


def present_photo(photo: Photo) -> PhotoOut:
    """The editor upload's answer; the public schemas serialise their photos themselves."""
    return PhotoOut.from_orm(photo)


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


def aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


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
    qs = Article.objects.published().for_listing()
    if filters.section:
        qs = qs.filter(section__slug=filters.section)
    if filters.topic:
        qs = qs.filter(topics__slug=filters.topic)
    if filters.author:
        qs = qs.filter(authors__slug=filters.author)
    if filters.access_level:
        qs = qs.filter(access_level=filters.access_level)
    if filters.published_since:
        qs = qs.filter(published_at__gte=filters.published_since)
    if filters.published_until:
        qs = qs.filter(published_at__lte=filters.published_until)
    if filters.cursor:
        at, pk = decode_cursor(filters.cursor, kinds=(datetime, int))
        qs = qs.filter(Q(published_at__lt=at) | Q(published_at=at, pk__lt=pk))
    page = list(qs.order_by("-published_at", "-pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    next_cursor = encode_cursor(page[-1].published_at, page[-1].pk) if more else None
    return {"items": cards(page), "next_cursor": next_cursor}


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
    article = get_object_or_404(
        Article.objects.published().for_listing().select_related("editor"), pk=article_id
    )
    prefetch_related_objects([article], *CARD_PREFETCH)
    decision = access_for_request(request, article)
    if article.access_level == Article.AccessLevel.FREE:
        mark_shareable(request)
    elif decision.meter_left is not None or decision.reason in ("metered", "staff"):
        mark_personal(request)
    else:
        mark_shareable(request)  # an anonymous teaser is the same for every anonymous reader
    return ArticleOut.for_reader(article, decision)


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
    mark_shareable(request)  # for anonymous readers only; a signed-in one's is private
    reader = reader_from_request(request)
    found = article_search.search_articles(q, reader=reader, limit=limit)
    prefetch_related_objects([r.article for r in found], *CARD_PREFETCH)
    return {"query": q, "items": found}


# --- editor endpoints ----------------------------------------------------------------------


def present_draft(article: Article) -> dict:
    return {
        "id": article.pk,
        "url": article.get_absolute_url(),
        "status": article.status,
        "version": article.version,
        "headline": article.headline,
        "slug": article.slug,
        "dek": article.dek,
        "section_id": article.section_id,
        "topic_ids": sorted(t.pk for t in article.topics.all()),
        "author_ids": sorted(a.pk for a in article.authors.all()),
        "body": article.body,
        "access_level": article.access_level,
        "dateline_city": article.dateline_city,
        "source_attribution": article.source_attribution,
        "lead_photo_id": article.lead_photo_id,
        "lead_photo_caption": article.lead_photo_caption,
        "seo_title": article.seo_title,
        "seo_description": article.seo_description,
        "publish_at": article.publish_at,
        "published_at": article.published_at,
        "related_ids": list(
            RelatedArticle.objects.filter(article=article).values_list("related_id", flat=True)
        ),
        "updated_at": article.updated_at,
    }


def _editable_or_404(request, article_id: int) -> Article:
    """Another writer's article is "not found", not "forbidden"."""
    return get_object_or_404(
        articles_open_to(request.user).prefetch_related("topics", "authors"), pk=article_id
    )


def _reload(article_id: int) -> Article:
    return Article.objects.prefetch_related("topics", "authors").get(pk=article_id)


# API field name -> ``services.article_save`` name (and back, for error details).
RELATION_FIELDS = {"section_id": "section", "lead_photo_id": "lead_photo"}
LIST_FIELDS = {"topic_ids": "topics", "author_ids": "authors"}
API_NAMES = {v: k for k, v in (RELATION_FIELDS | LIST_FIELDS).items()} | {"related": "article_ids"}


def _save(request, *, article_id: int | None, expected_version: int | None, **given):
    """Hand the API's fields to ``services.article_save``, the admin's write path.

    A stale ``expected_version`` is a 409 with the current version; a field
    error is a 422 whose details use the API's field names.
    """
    fields = {RELATION_FIELDS.get(name, name): value for name, value in given.items()}
    lists = {LIST_FIELDS[name]: fields.pop(name) for name in LIST_FIELDS if name in given}
    related = fields.pop("article_ids", None)
    try:
        return services.article_save(
            article_id=article_id,
            by=request.user,
            fields=fields,
            related=related,
            expected_version=expected_version,
            now=timezone.now(),
            note="API",
            **lists,
        )
    except services.StaleEdit as exc:
        raise ApiError(
            409,
            "version_conflict",
            exc.messages[0],
            {"current_version": exc.current_version, "saved_by": exc.saved_by},
        ) from exc
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {API_NAMES.get(name, name): errors for name, errors in exc.error_dict.items()}
        ) from exc


@editor_router.get(
    "/articles/{article_id}",
    response=responses(200, DraftOut),
    auth=EDITOR_READ,
    summary="Open an article in the editor",
)
def editor_article(request, article_id: int = id_path("article")):
    """Every field and the whole body of an article you may edit."""
    return present_draft(_editable_or_404(request, article_id))


@editor_router.post(
    "/articles",
    response=responses(201, DraftOut),
    auth=EDITOR_WRITE,
    summary="Create a draft",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "example": {
                        "headline": "Rupiah menguat pagi ini",
                        "dek": "Ringkasan singkat.",
                        "body": "<p>Paragraf pertama.</p><p>Paragraf kedua.</p>",
                        "access_level": "free",
                    }
                }
            }
        }
    },
)
def editor_create(request, payload: DraftIn):
    """A new draft, written by the token's user. Body HTML is sanitized."""
    fields = payload.model_dump(exclude_unset=True)  # unsent: the section's defaults apply
    article = _save(request, article_id=None, expected_version=None, **fields)
    return Status(201, present_draft(_reload(article.pk)))


@editor_router.patch(
    "/articles/{article_id}",
    response=responses(200, DraftOut),
    auth=EDITOR_WRITE,
    summary="Edit an article",
)
def editor_update(request, payload: DraftPatchIn, article_id: int = id_path("article")):
    """Change the fields you send. A stale ``version`` is refused with 409."""
    _editable_or_404(request, article_id)
    fields = payload.model_dump(exclude_unset=True)
    version = fields.pop("version")
    for name in ("headline", "dek", "body", "topic_ids", "author_ids", "access_level"):
        if name in fields and fields[name] is None:
            raise ApiError(422, "invalid_input", f"{name} cannot be null.")
    article = _save(request, article_id=article_id, expected_version=version, **fields)
    return present_draft(_reload(article.pk))


@editor_router.put(
    "/articles/{article_id}/related",
    response=responses(200, DraftOut),
    auth=EDITOR_WRITE,
    summary="Set curated related articles",
)
def editor_set_related(request, payload: RelatedIn, article_id: int = id_path("article")):
    """Replace the curated related list; the automatic fill by topic comes after it."""
    _editable_or_404(request, article_id)
    if len(set(payload.article_ids)) != len(payload.article_ids):
        raise ApiError(422, "invalid_input", "An article is listed twice.")
    _save(request, article_id=article_id, expected_version=None, article_ids=payload.article_ids)
    return present_draft(_reload(article_id))


@editor_router.post(
    "/articles/{article_id}/submit",
    response=responses(200, DraftOut),
    auth=EDITOR_WRITE,
    summary="Submit for review",
)
def editor_submit(request, payload: TransitionIn, article_id: int = id_path("article")):
    """Hand the draft to the editors."""
    _editable_or_404(request, article_id)
    services.article_submit(
        article_id=article_id, by=request.user, now=timezone.now(), note=payload.note
    )
    return present_draft(_reload(article_id))


@editor_router.post(
    "/articles/{article_id}/schedule",
    response=responses(200, DraftOut),
    auth=EDITOR_PUBLISH,
    summary="Schedule publication",
)
def editor_schedule(request, payload: ScheduleIn, article_id: int = id_path("article")):
    """Set the time the article goes live. Editors only."""
    _editable_or_404(request, article_id)
    services.article_schedule(
        article_id=article_id,
        by=request.user,
        publish_at=aware(payload.publish_at),
        now=timezone.now(),
        note=payload.note,
    )
    return present_draft(_reload(article_id))


@editor_router.post(
    "/articles/{article_id}/publish",
    response=responses(200, DraftOut),
    auth=EDITOR_PUBLISH,
    summary="Publish now",
)
def editor_publish(request, payload: TransitionIn, article_id: int = id_path("article")):
    """Publish the article now. Editors only; a reporter's token gets 403."""
    _editable_or_404(request, article_id)
    services.article_publish(
        article_id=article_id, by=request.user, now=timezone.now(), note=payload.note
    )
    return present_draft(_reload(article_id))


@editor_router.post(
    "/photos",
    response=responses(201, PhotoOut),
    auth=EDITOR_WRITE,
    summary="Upload a photo",
)
def editor_upload_photo(
    request,
    file: File[UploadedFile],
    caption: Form[str] = "",
    credit: Form[str] = "",
    alt_text: Form[str] = "",
):
    """A JPEG, PNG, WebP or GIF, checked by its content, within the size and pixel caps.

    The admin's upload rules (``articles.images.validate_upload``): the stored
    file is a re-encoded copy without metadata; renditions follow on the worker.
    """
    if any("\x00" in value for value in (caption, credit, alt_text)):
        raise ApiError(422, "invalid_input", "NUL characters are not allowed.")
    photo = services.photo_create(
        by=request.user,
        image=file,
        caption=caption[:5000],
        credit=credit,
        alt_text=alt_text,
    )
    return Status(201, present_photo(photo))
