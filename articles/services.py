"""Every write to an article's workflow state goes through these functions.

The admin, the API, Celery tasks and management commands call them, so the
rules (who may, what must be filled in, what is logged) live here only.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .models import Article, ArticleTransition

Status = Article.Status

# Which status may move to which; anything else is refused.
ALLOWED = {
    Status.DRAFT: {Status.IN_REVIEW, Status.SCHEDULED, Status.PUBLISHED},
    Status.IN_REVIEW: {Status.DRAFT, Status.SCHEDULED, Status.PUBLISHED},
    Status.SCHEDULED: {Status.DRAFT, Status.PUBLISHED, Status.SCHEDULED},
    Status.PUBLISHED: {Status.UNPUBLISHED},
    Status.UNPUBLISHED: {Status.DRAFT, Status.SCHEDULED, Status.PUBLISHED},
}


def publication_problems(article: Article) -> list[str]:
    """What keeps this article from going live; empty when it may be published."""
    problems = []
    if not article.headline.strip():
        problems.append("The headline is empty.")
    if not article.section_id:
        problems.append("Choose a section.")
    if not article.body.strip():
        problems.append("The body is empty.")
    photo = article.lead_photo
    if photo is None:
        problems.append("Add a lead photo.")
    else:
        if not photo.alt_text.strip():
            problems.append("The lead photo needs alt text.")
        if not (photo.credit.strip() or photo.agency_id):
            problems.append("The lead photo needs a credit.")
    return problems


def _check_can(user, perm: str, article: Article) -> None:
    if user is None:  # the system itself (beat, tasks) acts on what an editor decided
        return
    if not user.has_perm(f"articles.{perm}"):
        raise PermissionDenied(f"You may not {perm.replace('_', ' ')}.")


def _lock(article_id: int) -> Article:
    # of=("self",): PostgreSQL cannot lock the nullable side of the photo join.
    return (
        Article.objects.select_for_update(of=("self",))
        .select_related("lead_photo")
        .get(pk=article_id)
    )


def _move(article: Article, to: str, *, by, now: datetime, note: str = "") -> None:
    if to not in ALLOWED[article.status]:
        raise ValidationError(
            f"An article that is {article.get_status_display().lower()} cannot become "
            f"{Status(to).label.lower()}."
        )
    ArticleTransition.objects.create(
        article=article, from_status=article.status, to_status=to, by=by, at=now, note=note[:300]
    )
    article.status = to


def _on_published(article: Article) -> None:
    """Side effects of going live, started only once the publish has committed."""
    from . import signals

    transaction.on_commit(lambda: signals.article_published.send(Article, article=article))


def _on_unpublished(article: Article) -> None:
    from . import signals

    transaction.on_commit(lambda: signals.article_unpublished.send(Article, article=article))


def article_submit(*, article_id: int, by, now: datetime, note: str = "") -> Article:
    """A reporter hands a draft to the editors."""
    with transaction.atomic():
        article = _lock(article_id)
        _check_can(by, "submit_article", article)
        if article.status == Status.IN_REVIEW:
            return article
        _move(article, Status.IN_REVIEW, by=by, now=now, note=note)
        article.save(update_fields=["status", "updated_at"])
    return article


def article_return_to_draft(*, article_id: int, by, now: datetime, note: str = "") -> Article:
    """Send an article back to its writer (or cancel a schedule)."""
    with transaction.atomic():
        article = _lock(article_id)
        _check_can(
            by, "publish_article" if article.status != Status.DRAFT else "submit_article", article
        )
        if article.status == Status.DRAFT:
            return article
        _move(article, Status.DRAFT, by=by, now=now, note=note)
        article.publish_at = None
        article.save(update_fields=["status", "publish_at", "updated_at"])
    return article


def article_schedule(
    *, article_id: int, by, publish_at: datetime, now: datetime, note: str = ""
) -> Article:
    """Set the time an article goes live; moving or re-setting it is allowed."""
    with transaction.atomic():
        article = _lock(article_id)
        _check_can(by, "publish_article", article)
        problems = publication_problems(article)
        if problems:
            raise ValidationError(problems)
        if publish_at <= now:
            raise ValidationError("The publish time must be in the future.")
        _move(article, Status.SCHEDULED, by=by, now=now, note=note or f"for {publish_at:%c}")
        article.publish_at = publish_at
        article.save(update_fields=["status", "publish_at", "updated_at"])
    return article


def article_publish(*, article_id: int, by, now: datetime, note: str = "") -> Article:
    """Publish once: a second call for the same article changes nothing.

    A scheduled article is published only when its time has come, so an early
    or duplicate delivery of the scheduling task is harmless.
    """
    with transaction.atomic():
        article = _lock(article_id)
        if article.status == Status.PUBLISHED:
            return article
        if by is None and not (
            article.status == Status.SCHEDULED and article.publish_at and article.publish_at <= now
        ):
            return article  # the system only publishes what is due
        _check_can(by, "publish_article", article)
        problems = publication_problems(article)
        if problems:
            raise ValidationError(problems)
        _move(article, Status.PUBLISHED, by=by, now=now, note=note)
        article.published_at = now if by is not None else (article.publish_at or now)
        if article.first_published_at is None:
            article.first_published_at = article.published_at
        article.save(update_fields=["status", "published_at", "first_published_at", "updated_at"])
        _on_published(article)
    return article


def article_unpublish(*, article_id: int, by, now: datetime, note: str = "") -> Article:
    """Take a live article down (by an editor, or by the system at expiry)."""
    with transaction.atomic():
        article = _lock(article_id)
        if article.status != Status.PUBLISHED:
            return article
        _check_can(by, "publish_article", article)
        _move(article, Status.UNPUBLISHED, by=by, now=now, note=note)
        article.save(update_fields=["status", "updated_at"])
        _on_unpublished(article)
    return article
