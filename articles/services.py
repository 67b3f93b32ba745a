"""Writes to an article's content: saving (with its revision), restoring a
revision, uploading photos; and the rules the workflow shares with them
(``publication_problems``, ``can_edit``, ``lock_article``).

Status changes are not here: they are the workflow's action classes in
``publishing.actions``, which sit above this app so that scheduling can plan
its exact-time task explicitly. The admin and the API save content through
``publishing.actions.save_article``, which calls ``article_save`` and keeps
the pipeline in step when a time changes.
"""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import revisions, timewindow
from .models import Article, DraftRevision, Photo, RelatedArticle, Revision, Section, Topic
from .sanitize import body_references, clean_body

Status = Article.Status


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


def is_own_article(user, article: Article) -> bool:
    """The user started this article or writes under one of its bylines."""
    if user is None or not user.is_authenticated or article.pk is None:
        return False
    if article.created_by_id == user.pk:
        return True
    return article.authors.filter(user=user).exists()


def can_edit(user, article: Article) -> bool:
    """Editors edit any article; a reporter edits only their own drafts."""
    if user is None:
        return True
    if not user.has_perm("articles.change_article"):
        return False
    if user.has_perm("articles.edit_any_article"):
        return True
    return article.status == Status.DRAFT and is_own_article(user, article)


def lock_article(article_id: int) -> Article:
    """The article row, locked until the transaction ends (every write starts here)."""
    # of=self: Postgres cannot lock the nullable side of the lead photo's outer join.
    return (
        Article.objects.select_for_update(of=("self",))
        .select_related("lead_photo")
        .get(pk=article_id)
    )


# --- Editing ------------------------------------------------------------------

EDITABLE_FIELDS = {
    *revisions.SCALAR_FIELDS,
    *revisions.DATETIME_FIELDS,
    *revisions.FOREIGN_KEYS,
    "body",
}


class StaleEdit(ValidationError):
    """Someone saved the article after this editor opened it; their save is refused."""

    def __init__(self, *, article: Article, expected_version: int, latest: Revision | None):
        self.article = article
        self.expected_version = expected_version
        self.current_version = article.version
        self.latest = latest
        who = _("another editor")
        if latest is not None and latest.created_by is not None:
            who = latest.created_by.get_full_name() or latest.created_by.get_username()
        self.saved_by = who
        super().__init__(
            _(
                "%(who)s saved this article (version %(current)s) after you opened version "
                "%(expected)s. Your changes were not saved: compare the versions, then edit "
                "the current one."
            )
            % {"who": who, "current": article.version, "expected": expected_version},
            code="stale",
        )


def _pk(value) -> int | None:
    if value is None or value == "":
        return None
    return value.pk if isinstance(value, models.Model) else int(value)


def _pks(values: Iterable | None) -> list[int]:
    seen: list[int] = []
    for value in values or []:
        pk = _pk(value)
        if pk is not None and pk not in seen:
            seen.append(pk)
    return seen


def check_body_references(article: Article) -> None:
    photo_ids, article_ids = body_references(article.body)
    problems = []
    missing = set(photo_ids) - set(
        Photo.objects.filter(pk__in=photo_ids).values_list("pk", flat=True)
    )
    if missing:
        problems.append(
            _("The body shows photo(s) that do not exist: %(ids)s.")
            % {"ids": ", ".join(map(str, sorted(missing)))}
        )
    if article.pk is not None and article.pk in article_ids:
        problems.append(_('A "Read also" block cannot point to the article itself.'))
    missing = set(article_ids) - set(
        Article.objects.filter(pk__in=article_ids).values_list("pk", flat=True)
    )
    if missing:
        problems.append(
            _('"Read also" points to article(s) that do not exist: %(ids)s.')
            % {"ids": ", ".join(map(str, sorted(missing)))}
        )
    if problems:
        raise ValidationError({"body": problems})


def article_save(
    *,
    article_id: int | None,
    by,
    fields: dict,
    topics: Iterable | None = None,
    authors: Iterable | None = None,
    related: Iterable | None = None,
    expected_version: int | None,
    now: datetime,
    note: str = "",
    restored_from: Revision | None = None,
) -> Article:
    """Create or edit an article's content, keeping a revision of every save.

    ``fields`` holds editorial fields by model name (relations as objects or
    ids); ``topics``/``authors``/``related`` replace those lists when given
    (``related`` in order). ``expected_version`` is the version the editor
    opened; when someone saved since, ``StaleEdit`` is raised and nothing is
    written. The status is not edited here: the workflow functions move it.
    The body is sanitized (``sanitize.clean_body``) and shortcodes become
    inline photo and "Read also" blocks.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        if article_id is None:
            if by is not None and not by.has_perm("articles.add_article"):
                raise PermissionDenied(_("You may not write articles."))
            article = Article(created_by=by, created_at=now, status=Status.DRAFT, version=1)
        else:
            article = lock_article(article_id)
            if not can_edit(by, article):
                raise PermissionDenied(
                    _("You may not edit this article (reporters edit only their own drafts).")
                )
            if expected_version is not None and expected_version != article.version:
                latest = (
                    Revision.objects.filter(article=article, version=article.version)
                    .select_related("created_by")
                    .first()
                )
                raise StaleEdit(article=article, expected_version=expected_version, latest=latest)
            if not Revision.objects.filter(article=article).exists():
                # Articles written before revisions existed (or seeded in bulk) get a
                # baseline, so the first edit can be compared and undone.
                revisions.revision_record(
                    article, by=None, note="State before the first recorded edit", now=now
                )
            article.version += 1
        times_before = {name: getattr(article, name) for name in timewindow.TIME_FIELDS}
        for name, value in fields.items():
            if name in revisions.FOREIGN_KEYS:
                setattr(article, f"{name}_id", _pk(value))
            else:
                setattr(
                    article,
                    name,
                    value if value is not None or name in revisions.DATETIME_FIELDS else "",
                )
        if article_id is None and "access_level" not in fields and article.section_id:
            # The section may not exist (an API client's typo): ``_check_foreign_keys``
            # below says so; until then, keep the model's default level.
            default = (
                Section.objects.filter(pk=article.section_id)
                .values_list("default_access_level", flat=True)
                .first()
            )
            article.access_level = default or article.access_level
        article.body = clean_body(article.body)
        if not article.slug:
            article.slug = slugify(article.headline)[:250] or "artikel"
        timewindow.check_changed_times(before=times_before, after=fields, now=now)
        check_schedule_kept(
            status=article.status,
            publish_at=article.publish_at,
            publish_at_before=times_before["publish_at"],
            now=now,
        )
        article.full_clean(
            exclude=["created_by", "editor", "section", "lead_photo", "social_image"]
        )
        _check_foreign_keys(article)
        _check_lists(topics=topics, authors=authors, related=related)
        check_body_references(article)
        if article.status in (Status.SCHEDULED, Status.PUBLISHED):
            problems = publication_problems(article)
            if problems:
                raise ValidationError(problems)
        article.save()
        if topics is not None:
            article.topics.set(Topic.objects.filter(pk__in=_pks(topics)))
        if authors is not None:
            article.authors.set(_pks(authors))
        if related is not None:
            _set_related(article, _pks(related))
        revisions.revision_record(article, by=by, note=note, restored_from=restored_from, now=now)
        if by is not None:
            # Saved: this editor's autosave (``articles.autosave``) is no longer unsaved work.
            DraftRevision.objects.filter(article=article, author=by).delete()
    return article


SCHEDULED_NEEDS_TIME = gettext_lazy(
    "This article is scheduled, so it needs a publish time. To cancel the schedule, "
    "use “Return to draft”."
)


def check_schedule_kept(
    *, status: str, publish_at: datetime | None, publish_at_before: datetime | None, now: datetime
) -> None:
    """A scheduled article keeps a valid publish time through every edit.

    Clearing it would leave an article the pipeline never publishes (and,
    before this rule, nobody was told), so it is refused: cancelling a
    schedule is the workflow's "Return to draft", which logs the change.
    A moved time must be in the future, as the Schedule button requires.
    The admin form asks this too, to show the error next to the field.
    """
    if status != Status.SCHEDULED:
        return
    if publish_at is None:
        raise ValidationError({"publish_at": SCHEDULED_NEEDS_TIME})
    if publish_at != publish_at_before:
        try:
            timewindow.check_publish_at(publish_at, now=now)
        except ValidationError as error:
            raise ValidationError({"publish_at": error.messages}) from error


def _check_foreign_keys(article: Article) -> None:
    """A relation pointing at nothing is the editor's error, not a database crash."""
    from .models import Author, Section

    problems = {}
    for name, model in (
        ("section", Section),
        ("editor", Author),
        ("lead_photo", Photo),
        ("social_image", Photo),
    ):
        pk = getattr(article, f"{name}_id")
        if pk is not None and not model.objects.filter(pk=pk).exists():
            problems[name] = _("That %(what)s no longer exists.") % {"what": name.replace("_", " ")}
    if problems:
        raise ValidationError(problems)


def _check_lists(*, topics, authors, related) -> None:
    """Topics, authors and related articles must exist: an unknown id is the caller's error."""
    from .models import Author

    problems = {}
    for name, values, model in (
        ("topics", topics, Topic),
        ("authors", authors, Author),
        ("related", related, Article),
    ):
        wanted = set(_pks(values))
        missing = wanted - set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if missing:
            problems[name] = _("Unknown ids: %(ids)s.") % {
                "ids": ", ".join(map(str, sorted(missing)))
            }
    if problems:
        raise ValidationError(problems)


def _set_related(article: Article, related_ids: list[int]) -> None:
    if article.pk in related_ids:
        raise ValidationError({"related": _("An article cannot be related to itself.")})
    existing = set(Article.objects.filter(pk__in=related_ids).values_list("pk", flat=True))
    RelatedArticle.objects.filter(article=article).delete()
    RelatedArticle.objects.bulk_create(
        RelatedArticle(article=article, related_id=pk, position=position)
        for position, pk in enumerate(pk for pk in related_ids if pk in existing)
    )


def article_restore_revision(
    *, revision_id: int, by, expected_version: int | None, now: datetime
) -> Article:
    """Bring back an earlier revision's content; this saves a new revision."""
    from .models import Author

    revision = Revision.objects.select_related("article").get(pk=revision_id)
    state = revisions.fields_from_revision(revision)
    # What was deleted since cannot come back; restore keeps the rest.
    for name, model in (("topics", Topic), ("authors", Author), ("related", Article)):
        ids = _pks(state[name])
        existing = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        state[name] = [pk for pk in ids if pk in existing]
    return article_save(
        article_id=revision.article_id,
        by=by,
        expected_version=expected_version,
        now=now,
        note=f"Restored version {revision.version}",
        restored_from=revision,
        **state,
    )


# --- Photos -------------------------------------------------------------------


def photo_renditions_enqueue(photo_id: int) -> None:
    """Generate renditions once the photo's row is committed (the worker must see it)."""
    from . import tasks

    transaction.on_commit(lambda: tasks.generate_photo_renditions.delay(photo_id))


def photo_save(*, photo: Photo, by, regenerate: bool) -> Photo:
    """Save a photo edited in a form; ``regenerate`` after a new image or focal point."""
    if by is not None and not by.has_perm(
        "articles.change_photo" if photo.pk else "articles.add_photo"
    ):
        raise PermissionDenied(_("You may not upload or edit photos."))
    with transaction.atomic():
        if photo.pk is None and photo.uploaded_by_id is None:
            photo.uploaded_by = by
        if regenerate:
            photo.renditions = {}
        photo.save()
        if regenerate:
            photo_renditions_enqueue(photo.pk)
    return photo


def photo_create(
    *,
    by,
    image,
    caption: str = "",
    credit: str = "",
    alt_text: str = "",
    agency_id: int | None = None,
    focal_x: float = 0.5,
    focal_y: float = 0.5,
) -> Photo:
    """Upload a photo: validate the file (``images.validate_upload``), store, render later.

    The admin's upload form and the editor API both call this, so both accept
    the same files and both enqueue renditions once the row has committed.
    """
    from .images import validate_upload

    if by is not None and not by.has_perm("articles.add_photo"):
        raise PermissionDenied(_("You may not upload or edit photos."))

    cleaned = validate_upload(image)
    photo = Photo(
        image=cleaned,
        caption=caption,
        credit=credit,
        alt_text=alt_text,
        agency_id=agency_id,
        focal_x=focal_x,
        focal_y=focal_y,
    )
    photo.full_clean(exclude=["image"])
    return photo_save(photo=photo, by=by, regenerate=True)
