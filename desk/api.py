"""The editor API: token-authenticated endpoints to write, edit and move articles
through the workflow, and to upload photos (``/api/v1/editor/...``).

They write through the admin's paths: content through
``publishing.actions.save_article`` (``articles.services`` underneath, with
revisions and the concurrent-edit check), status changes through the
workflow's actions, photos through ``articles.services.photo_create``. A
token needs its scope (``read``, ``write``, ``publish``) and its user the
role's permissions, as in the admin.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from apitokens.auth import EDITOR_PUBLISH, EDITOR_READ, EDITOR_WRITE
from articles import services
from articles.models import Article, RelatedArticle
from articles.schemas import PhotoOut
from articles.selectors import articles_open_to
from core.api_http import ApiError
from core.api_schemas import id_path, responses
from publishing import actions

from .schemas import (
    DraftIn,
    DraftOut,
    DraftPatchIn,
    RelatedIn,
    ScheduleIn,
    TransitionIn,
)

router = Router(tags=["editor"])


def aware(value: datetime) -> datetime:
    """A time sent without an offset is the newsroom's local time."""
    return timezone.make_aware(value) if timezone.is_naive(value) else value


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


# API field name -> ``article_save`` name (and back, for error details).
RELATION_FIELDS = {"section_id": "section", "lead_photo_id": "lead_photo"}
LIST_FIELDS = {"topic_ids": "topics", "author_ids": "authors"}
API_NAMES = {v: k for k, v in (RELATION_FIELDS | LIST_FIELDS).items()} | {"related": "article_ids"}


def _save(request, *, article_id: int | None, expected_version: int | None, **given):
    """Hand the API's fields to ``actions.save_article``, the admin's write path.

    A stale ``expected_version`` is a 409 with the current version; a field
    error is a 422 whose details use the API's field names.
    """
    fields = {RELATION_FIELDS.get(name, name): value for name, value in given.items()}
    lists = {LIST_FIELDS[name]: fields.pop(name) for name in LIST_FIELDS if name in given}
    related = fields.pop("article_ids", None)
    try:
        return actions.save_article(
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


@router.get(
    "/articles/{article_id}",
    response=responses(200, DraftOut),
    auth=EDITOR_READ,
    summary="Open an article in the editor",
)
def editor_article(request, article_id: int = id_path("article")):
    """Every field and the whole body of an article you may edit."""
    return present_draft(_editable_or_404(request, article_id))


@router.post(
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


@router.patch(
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


@router.put(
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


def _run(request, action: actions.ArticleAction, article_id: int, note: str, **params) -> dict:
    """Run a workflow action as the token's user (``publishing.actions``, as the admin's
    buttons do). A status the action does not start from is a 409 naming both."""
    _editable_or_404(request, article_id)
    try:
        action.execute(
            article_id=article_id, by=request.user, now=timezone.now(), note=note, **params
        )
    except actions.WrongState as exc:
        raise ApiError(
            409,
            "wrong_state",
            exc.messages[0],
            {"status": exc.status, "allowed_from": exc.sources},
        ) from exc
    return present_draft(_reload(article_id))


@router.post(
    "/articles/{article_id}/submit",
    response=responses(200, DraftOut),
    auth=EDITOR_WRITE,
    summary="Submit for review",
)
def editor_submit(request, payload: TransitionIn, article_id: int = id_path("article")):
    """Hand the draft to the editors."""
    return _run(request, actions.SUBMIT, article_id, payload.note)


@router.post(
    "/articles/{article_id}/return-to-draft",
    response=responses(200, DraftOut),
    auth=EDITOR_PUBLISH,
    summary="Return to draft",
)
def editor_return_to_draft(request, payload: TransitionIn, article_id: int = id_path("article")):
    """Send an article in review, scheduled or unpublished back to draft (a schedule is
    cancelled). Editors only; from another status, 409 ``wrong_state``."""
    return _run(request, actions.RETURN_TO_DRAFT, article_id, payload.note)


@router.post(
    "/articles/{article_id}/schedule",
    response=responses(200, DraftOut),
    auth=EDITOR_PUBLISH,
    summary="Schedule publication",
)
def editor_schedule(request, payload: ScheduleIn, article_id: int = id_path("article")):
    """Set the time the article goes live. Editors only; a time in the past or more
    than about five years ahead is a 422."""
    return _run(
        request, actions.SCHEDULE, article_id, payload.note, publish_at=aware(payload.publish_at)
    )


@router.post(
    "/articles/{article_id}/publish",
    response=responses(200, DraftOut),
    auth=EDITOR_PUBLISH,
    summary="Publish now",
)
def editor_publish(request, payload: TransitionIn, article_id: int = id_path("article")):
    """Publish the article now. Editors only; a reporter's token gets 403."""
    return _run(request, actions.PUBLISH, article_id, payload.note)


@router.post(
    "/articles/{article_id}/unpublish",
    response=responses(200, DraftOut),
    auth=EDITOR_PUBLISH,
    summary="Unpublish",
)
def editor_unpublish(request, payload: TransitionIn, article_id: int = id_path("article")):
    """Take a published article down. Editors only; from another status, 409
    ``wrong_state`` (a second call on an unpublished article changes nothing)."""
    return _run(request, actions.UNPUBLISH, article_id, payload.note)


@router.post(
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
    return Status(201, photo)
