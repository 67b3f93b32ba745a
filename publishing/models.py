"""Tables of the publication pipeline: side-effect runs, failures, exact-time
markers, the beat lock, and page-view roll-ups for most-read and hot topics.

The article row stays the truth about publication; these tables only record
what the pipeline did about it, so every task can check before it acts.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article, ArticleTransition


class SideEffectRun(models.Model):
    """One after-publish (or after-unpublish) side effect of one status change.

    Unique per (transition, effect): a duplicate publish delivery, a second
    fan-out or the sweep finds the row and does not fire the effect again.
    ``attempts`` counts how many times the effect body actually ran.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed (retrying)")

    transition = models.ForeignKey(
        ArticleTransition,
        on_delete=models.CASCADE,
        related_name="side_effect_runs",
        verbose_name=_("transition"),
    )
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    effect = models.CharField(max_length=40, verbose_name=_("effect"))
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    # The worker (Celery hostname) that claimed it: when that worker starts
    # again, its claims from before are known to be lost (``effects.requeue_held``).
    claimed_by = models.CharField(max_length=200, blank=True, verbose_name=_("claimed by"))
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("done at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("side effect run")
        verbose_name_plural = _("side effect runs")
        constraints = [
            models.UniqueConstraint(fields=["transition", "effect"], name="side_effect_once")
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="side_effect_status_idx")]

    def __str__(self) -> str:
        return f"{self.effect} · {self.article_id} ({self.get_status_display()})"

    @property
    def gave_up(self) -> bool:
        """Failed as often as the retry policy allows: only staff start it again."""
        from .effects import MAX_ATTEMPTS

        return self.status == self.Status.FAILED and self.attempts >= MAX_ATTEMPTS


class TaskFailure(models.Model):
    """A background job that gave up (or a sweep step that keeps failing), for staff.

    Repeats of the same unresolved failure bump ``occurrences`` instead of
    adding rows, so a sweep that fails every 30 s does not flood the table.
    """

    task_name = models.CharField(max_length=200, verbose_name=_("task name"))
    task_id = models.CharField(max_length=64, blank=True, verbose_name=_("task ID"))
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("article"),
    )
    args = models.JSONField(default=list, blank=True, verbose_name=_("arguments"))
    error = models.TextField(verbose_name=_("error"))
    traceback = models.TextField(blank=True, verbose_name=_("traceback"))
    occurrences = models.PositiveIntegerField(default=1, verbose_name=_("occurrences"))
    first_seen = models.DateTimeField(default=timezone.now, verbose_name=_("first seen"))
    last_seen = models.DateTimeField(default=timezone.now, verbose_name=_("last seen"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        ordering = ["-last_seen", "-pk"]
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        indexes = [models.Index(fields=["resolved_at", "-last_seen"], name="task_failure_open_idx")]

    def __str__(self) -> str:
        return f"{self.task_name}: {self.error[:60]}"


class ExactTimeTask(models.Model):
    """Marks that a task was put in the broker for one article, action and time.

    Only times within the ETA horizon are enqueued (far-future messages would
    be redelivered by Redis after its visibility timeout); the sweep enqueues
    the rest as they come near, and this marker keeps it from doing so twice.
    """

    class Action(models.TextChoices):
        PUBLISH = "publish", _("Publish")
        LIFT_EMBARGO = "lift_embargo", _("Lift embargo")
        EXPIRE = "expire", _("Unpublish at expiry")

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    action = models.CharField(max_length=16, choices=Action.choices, verbose_name=_("action"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    enqueued_at = models.DateTimeField(default=timezone.now, verbose_name=_("enqueued at"))

    class Meta:
        verbose_name = _("exact-time task")
        verbose_name_plural = _("exact-time tasks")
        constraints = [
            models.UniqueConstraint(fields=["article", "action", "due_at"], name="exact_time_once")
        ]

    def __str__(self) -> str:
        return f"{self.action} article {self.article_id} at {self.due_at:%Y-%m-%d %H:%M:%S}"


class BeatLock(models.Model):
    """The lease that lets exactly one ``celery beat`` send periodic tasks."""

    name = models.CharField(max_length=64, primary_key=True, verbose_name=_("name"))
    holder = models.CharField(max_length=200, verbose_name=_("holder"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("beat lock")
        verbose_name_plural = _("beat locks")

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"


class PublicationLogEntry(ArticleTransition):
    """The article status log as operators browse it in the admin (a proxy)."""

    class Meta:
        proxy = True
        ordering = ["-at", "-pk"]
        verbose_name = _("publication log entry")
        verbose_name_plural = _("publication log")
