"""The editorial workflow: one action class per status change, and the registry.

Each action owns its rules: the statuses it starts from (``sources``), the
one it reaches (``target``), the permission it needs (plus, for a user
without ``edit_any_article``, that the article is theirs), what must hold
before it runs (``validate``) and what follows once it has committed
(``on_commit``). The admin's workflow buttons and bulk actions, the editor
API, and the pipeline's exact-time tasks and sweep all call ``execute``, so
they cannot disagree.

The actions live in ``publishing``, above ``articles``, so that a schedule
plans its exact-time task and a publish starts its side effects as explicit
steps rather than through signals. Content writes stay in
``articles.services``; ``save_article`` and ``restore_revision`` here wrap
them so that a time changed on the form, through the API or by a restore
goes through the same Schedule action and planner as the Schedule button.

``by=None`` is the system (beat, tasks) acting on what an editor decided:
it needs no permission, and it only publishes a scheduled article that is due.
"""

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from articles import services, timewindow
from articles.models import Article, ArticleTransition, Revision

from . import effects, exact_time

logger = logging.getLogger(__name__)
Status = Article.Status


class WrongState(ValidationError):
    """The article's status is not one the action starts from (the API answers 409)."""

    def __init__(self, message: str, *, status: str, sources):
        super().__init__(message, code="wrong_state")
        self.status = status
        self.sources = sorted(sources)


class ArticleAction:
    """One status change. Subclasses set the class attributes and the hooks they need."""

    name: str
    label: str
    sources: frozenset[str]
    target: str
    permission = "articles.publish_article"
    verb: str  # completes "You may not …"

    # --- may it run? -----------------------------------------------------------------

    def check(self, user, article: Article) -> None:
        """Raise ``PermissionDenied`` or ``WrongState`` unless ``user`` may run this now."""
        self.check_permission(user, article)
        self.check_state(article)

    def allows(self, user, article: Article) -> bool:
        try:
            self.check(user, article)
        except (PermissionDenied, ValidationError):
            return False
        return True

    def check_permission(self, user, article: Article) -> None:
        if user is None:  # the system acts on what an editor decided
            return
        if not user.has_perm(self.permission):
            raise PermissionDenied(_("You may not %(verb)s.") % {"verb": self.verb})
        if not user.has_perm("articles.edit_any_article") and not services.is_own_article(
            user, article
        ):
            raise PermissionDenied(_("You may only do this with your own articles."))

    def check_state(self, article: Article) -> None:
        if article.status not in self.sources:
            raise WrongState(
                _("An article that is %(now)s cannot become %(then)s.")
                % {
                    "now": article.get_status_display().lower(),
                    "then": Status(self.target).label.lower(),
                },
                status=article.status,
                sources=self.sources,
            )

    # --- running it ----------------------------------------------------------------------

    def execute(self, *, article_id: int, by, now: datetime, note: str = "", **params) -> Article:
        """Lock the row, check, write the status and its log entry; once it commits,
        what follows (``on_commit``). A repeat of a change already made does nothing."""
        with transaction.atomic():
            article = services.lock_article(article_id)
            self.check_permission(by, article)
            if self.nothing_to_do(article, by=by, now=now):
                return article
            self.check_state(article)
            self.validate(article, now=now, **params)
            ArticleTransition.objects.create(
                article=article,
                from_status=article.status,
                to_status=self.target,
                by=by,
                at=now,
                note=(note or self.default_note(**params))[:300],
            )
            article.status = self.target
            changed = self.apply(article, by=by, now=now, **params)
            article.save(update_fields=["status", "updated_at", *changed])
            self.on_commit(article)
        return article

    def nothing_to_do(self, article: Article, *, by, now: datetime) -> bool:
        """A second click or a duplicate delivery: the article is already there."""
        return article.status == self.target and self.target not in self.sources

    def validate(self, article: Article, *, now: datetime, **params) -> None:
        """Raise ``ValidationError`` when the article may not make this change yet."""

    def default_note(self, **params) -> str:
        return ""

    def apply(self, article: Article, *, by, now: datetime, **params) -> list[str]:
        """Set the fields this change sets besides the status; return their names."""
        return []

    def on_commit(self, article: Article) -> None:
        """Start what follows the change, once it is committed (workers must see it)."""


def _must_be_publishable(article: Article) -> None:
    problems = services.publication_problems(article)
    if problems:
        raise ValidationError(problems)


class Submit(ArticleAction):
    """A reporter hands a draft to the editors."""

    name = "submit"
    label = gettext_lazy("Submit for review")
    sources = frozenset({Status.DRAFT})
    target = Status.IN_REVIEW
    permission = "articles.submit_article"
    verb = gettext_lazy("submit articles for review")


class ReturnToDraft(ArticleAction):
    """Send an article back to its writer, or cancel a schedule."""

    name = "return_to_draft"
    label = gettext_lazy("Return to draft")
    sources = frozenset({Status.IN_REVIEW, Status.SCHEDULED, Status.UNPUBLISHED})
    target = Status.DRAFT
    verb = gettext_lazy("return articles to draft")

    def apply(self, article, *, by, now, **params):
        article.publish_at = None
        return ["publish_at"]


class Schedule(ArticleAction):
    """Set the time an article goes live; moving or re-setting it is allowed.

    Once committed, the exact-time task is planned (``exact_time``): the
    schedule is never visible to a worker before its row is.
    """

    name = "schedule"
    label = gettext_lazy("Schedule")
    sources = frozenset({Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.UNPUBLISHED})
    target = Status.SCHEDULED
    verb = gettext_lazy("schedule articles")

    def validate(self, article, *, now, publish_at=None, **params):
        _must_be_publishable(article)
        try:
            timewindow.check_publish_at(publish_at, now=now)
        except ValidationError as error:
            raise ValidationError({"publish_at": error.messages}) from error

    def default_note(self, *, publish_at=None, **params):
        return f"for {timezone.localtime(publish_at):%Y-%m-%d %H:%M:%S}" if publish_at else ""

    def apply(self, article, *, by, now, publish_at=None, **params):
        article.publish_at = publish_at
        return ["publish_at"]

    def on_commit(self, article):
        exact_time.plan_after_commit(article.pk)


class Publish(ArticleAction):
    """Publish once: a second call for the same article changes nothing.

    The system publishes a scheduled article only when its time has come, so
    an early or duplicate delivery of the exact-time task is harmless.
    """

    name = "publish"
    label = gettext_lazy("Publish now")
    sources = frozenset({Status.DRAFT, Status.IN_REVIEW, Status.SCHEDULED, Status.UNPUBLISHED})
    target = Status.PUBLISHED
    verb = gettext_lazy("publish articles")

    def nothing_to_do(self, article, *, by, now):
        if article.status == Status.PUBLISHED:
            return True
        due = (
            article.status == Status.SCHEDULED and article.publish_at and article.publish_at <= now
        )
        return by is None and not due

    def validate(self, article, *, now, **params):
        _must_be_publishable(article)

    def apply(self, article, *, by, now, **params):
        # The scheduler publishes "as of" the scheduled time (never in the future:
        # it only publishes what is due); a person publishes now.
        article.published_at = now if by is not None else (article.publish_at or now)
        if article.first_published_at is None:
            article.first_published_at = article.published_at
        return ["published_at", "first_published_at"]

    def on_commit(self, article):
        article_id = article.pk

        def follow():
            try:
                effects.after_publish(article_id=article_id, now=timezone.now())
            except Exception:  # the publish has committed; the sweep starts what failed
                logger.exception("after-publish fan-out failed for article %s", article_id)

        transaction.on_commit(follow)


class Unpublish(ArticleAction):
    """Take a live article down (by an editor, or by the system at expiry)."""

    name = "unpublish"
    label = gettext_lazy("Unpublish")
    sources = frozenset({Status.PUBLISHED})
    target = Status.UNPUBLISHED
    verb = gettext_lazy("unpublish articles")

    def on_commit(self, article):
        article_id = article.pk

        def follow():
            try:
                effects.after_unpublish(article_id=article_id)
            except Exception:
                logger.exception("after-unpublish fan-out failed for article %s", article_id)

        transaction.on_commit(follow)


SUBMIT, RETURN_TO_DRAFT, SCHEDULE, PUBLISH, UNPUBLISH = (
    Submit(),
    ReturnToDraft(),
    Schedule(),
    Publish(),
    Unpublish(),
)
# In the order the admin shows its buttons.
ACTIONS: dict[str, ArticleAction] = {
    action.name: action for action in (SUBMIT, RETURN_TO_DRAFT, SCHEDULE, PUBLISH, UNPUBLISH)
}


def action_named(name: str) -> ArticleAction:
    try:
        return ACTIONS[name]
    except KeyError:
        raise ValidationError(_("Unknown action.")) from None


def available_actions(user, article: Article) -> list[ArticleAction]:
    """The actions ``user`` may run on ``article`` as it stands (content checks aside)."""
    return [action for action in ACTIONS.values() if action.allows(user, article)]


# --- Content writes that may change a time ------------------------------------------


def save_article(*, article_id: int | None, by, now: datetime, **kwargs) -> Article:
    """``services.article_save``, with the pipeline kept in step with the times it sets."""
    return _following_times(
        lambda: services.article_save(article_id=article_id, by=by, now=now, **kwargs),
        article_id=article_id,
        by=by,
        now=now,
    )


def restore_revision(
    *, revision_id: int, by, expected_version: int | None, now: datetime
) -> Article:
    """``services.article_restore_revision``, with the pipeline kept in step likewise."""
    article_id = Revision.objects.values_list("article_id", flat=True).get(pk=revision_id)
    return _following_times(
        lambda: services.article_restore_revision(
            revision_id=revision_id, by=by, expected_version=expected_version, now=now
        ),
        article_id=article_id,
        by=by,
        now=now,
    )


def _following_times(write, *, article_id: int | None, by, now: datetime) -> Article:
    """Run a content write; then a moved publish time of a scheduled article goes
    through the Schedule action (logged, planned), and a changed embargo or expiry
    through the planner. All in one transaction: a refusal undoes the write.

    The content service already refused what may not be (a scheduled article
    without a time, a time in the past or outside ``articles.timewindow``).
    """
    with transaction.atomic():
        before = {}
        if article_id is not None:
            locked = services.lock_article(article_id)
            before = {name: getattr(locked, name) for name in timewindow.TIME_FIELDS}
        article = write()
        changed = {
            name for name in timewindow.TIME_FIELDS if getattr(article, name) != before.get(name)
        }
        if article.status == Status.SCHEDULED and "publish_at" in changed:
            SCHEDULE.execute(
                article_id=article.pk,
                by=by,
                now=now,
                publish_at=article.publish_at,
                note=_("moved to %(when)s")
                % {"when": f"{timezone.localtime(article.publish_at):%Y-%m-%d %H:%M:%S}"},
            )
        elif article.status in (Status.SCHEDULED, Status.PUBLISHED) and changed:
            exact_time.plan_after_commit(article.pk)
            if article.status == Status.PUBLISHED:
                # An embargo lifted by hand: readers see it now, so its effects start.
                article_id = article.pk
                transaction.on_commit(
                    lambda: effects.lift_embargo_if_due(article_id=article_id, now=timezone.now())
                )
    return article
