"""Writes the editor API needs until the content work lands.

SWITCH AFTER MERGE: ``clean_body`` → ``articles.sanitize.clean_body``;
``validate_upload`` → ``articles.images.validate_upload``; ``draft_create`` /
``draft_update`` → the content services (revisions, version guard). The
signatures here are kept small so each swap is one import.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify
from PIL import Image, UnidentifiedImageError

from .models import Article, Author, Photo, RelatedArticle, Section, Topic

# --- sanitizing -----------------------------------------------------------------

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "blockquote", "cite", "figure", "figcaption", "img", "a",
    "strong", "em", "b", "i", "u", "s", "sub", "sup", "ul", "ol", "li", "br", "aside",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "aside": {"class"},
    "figure": {"class"},
}


def clean_body(html: str) -> str:
    """Editor HTML through a conservative allow-list (no scripts, styles, events)."""
    import nh3

    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


# --- photo uploads ------------------------------------------------------------------

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def validate_upload(uploaded) -> None:
    """Refuse anything but a JPEG, PNG, WebP or GIF within the size and pixel caps.

    The format is read from the content, never from the name or the declared
    content type; the pixel count is checked from the header before decoding.
    """
    if uploaded.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            f"The file is larger than {settings.PHOTO_MAX_BYTES // (1024 * 1024)} MB."
        )
    try:
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            if image.format not in ALLOWED_IMAGE_FORMATS:
                raise ValidationError("Upload a JPEG, PNG, WebP or GIF image.")
            if image.width * image.height > settings.PHOTO_MAX_PIXELS:
                raise ValidationError("The image has too many pixels.")
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValidationError("The file is not a readable image.") from exc
    finally:
        uploaded.seek(0)


def photo_create(*, uploaded, by, caption="", credit="", alt_text="", agency_id=None) -> Photo:
    """Store a validated upload as a Photo (renditions follow from the content work)."""
    if not by.has_perm("articles.add_photo"):
        raise PermissionDenied("You may not upload photos.")
    validate_upload(uploaded)
    photo = Photo(
        image=uploaded,
        caption=caption,
        credit=credit,
        alt_text=alt_text,
        agency_id=agency_id,
        uploaded_by=by,
    )
    photo.full_clean()
    photo.save()
    return photo


# --- drafts ---------------------------------------------------------------------------


def editable_articles(user):
    """Articles ``user`` may open in the editor API: any with ``edit_any_article``,
    otherwise those they created or write."""
    if not user.has_perm("articles.view_article"):
        return Article.objects.none()
    if user.has_perm("articles.edit_any_article"):
        return Article.objects.all()
    mine = Article.objects.filter(Q(created_by=user) | Q(authors__user=user)).values("pk")
    return Article.objects.filter(pk__in=mine)


def _check_ids(fields: dict) -> None:
    """Every id named in ``fields`` must exist; report the ones that do not."""
    problems = {}
    lookups = {
        "section_id": Section,
        "lead_photo_id": Photo,
        "topic_ids": Topic,
        "author_ids": Author,
    }
    for name, model in lookups.items():
        value = fields.get(name)
        if value is None:
            continue
        wanted = set(value) if isinstance(value, list) else {value}
        found = set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if wanted - found:
            problems[name] = f"Unknown ids: {sorted(wanted - found)}"
    if problems:
        raise ValidationError(problems)


def _apply(article: Article, fields: dict) -> tuple[list | None, list | None]:
    topic_ids = fields.pop("topic_ids", None)
    author_ids = fields.pop("author_ids", None)
    if "body" in fields:
        fields["body"] = clean_body(fields["body"])
    for name, value in fields.items():
        setattr(article, name, value)
    return topic_ids, author_ids


def draft_create(*, by, fields: dict) -> Article:
    """A new draft written by ``by``."""
    if not by.has_perm("articles.add_article"):
        raise PermissionDenied("You may not write articles.")
    _check_ids(fields)
    article = Article(created_by=by, status=Article.Status.DRAFT)
    topic_ids, author_ids = _apply(article, dict(fields))
    article.slug = slugify(article.headline)[:250] or "artikel"
    with transaction.atomic():
        article.full_clean()
        article.save()
        if topic_ids:
            article.topics.set(topic_ids)
        if author_ids:
            article.authors.set(author_ids)
    return article


def draft_update(*, article_id: int, by, version: int, fields: dict) -> Article:
    """Change an article; refused when someone saved since ``version`` was read.

    Reporters change only their own drafts; editors (``edit_any_article``) any.
    """
    _check_ids(fields)
    with transaction.atomic():
        article = editable_articles(by).select_for_update().get(pk=article_id)
        if not by.has_perm("articles.change_article"):
            raise PermissionDenied("You may not edit articles.")
        if not by.has_perm("articles.edit_any_article") and article.status != "draft":
            raise PermissionDenied("Only drafts can be changed by their writer.")
        if article.version != version:
            raise VersionConflict(current=article.version)
        topic_ids, author_ids = _apply(article, dict(fields))
        article.version += 1
        article.full_clean()
        article.save()
        if topic_ids is not None:
            article.topics.set(topic_ids)
        if author_ids is not None:
            article.authors.set(author_ids)
    return article


class VersionConflict(Exception):
    def __init__(self, *, current: int):
        super().__init__(f"The article was saved by someone else (now version {current}).")
        self.current = current


def related_set(*, article_id: int, by, related_ids: list[int]) -> list[int]:
    """Replace the curated related list of an article, keeping the given order."""
    if len(set(related_ids)) != len(related_ids):
        raise ValidationError({"article_ids": "An article is listed twice."})
    if article_id in related_ids:
        raise ValidationError({"article_ids": "An article cannot be related to itself."})
    with transaction.atomic():
        article = editable_articles(by).select_for_update().get(pk=article_id)
        if not by.has_perm("articles.change_article"):
            raise PermissionDenied("You may not edit articles.")
        found = set(Article.objects.filter(pk__in=related_ids).values_list("pk", flat=True))
        if set(related_ids) - found:
            raise ValidationError(
                {"article_ids": f"Unknown ids: {sorted(set(related_ids) - found)}"}
            )
        RelatedArticle.objects.filter(article=article).delete()
        RelatedArticle.objects.bulk_create(
            RelatedArticle(article=article, related_id=pk, position=i)
            for i, pk in enumerate(related_ids)
        )
    return related_ids
