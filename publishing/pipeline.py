"""The publication pipeline's services: acting on the row when its time has
come, the sweep, and the record of failures staff can see.

The article row is the truth. Tasks (``publishing.tasks``) only hand over to
these functions, and every function checks the row before it acts, so an
early, late, duplicated or lost message changes nothing it should not:

- ``publish_if_due`` / ``unpublish_if_expired`` act only when the row says
  the time has come, and then through the workflow's actions (``actions``),
  the same ones the admin and the API run.
- ``sweep`` (beat, every ``PIPELINE_SWEEP_SECONDS``) publishes and expires
  whatever a lost, purged or crashed task missed, starts side effects that
  never started and sends again those whose message was lost (``effects``),
  and enqueues exact-time tasks as their time comes near (``exact_time``).
- ``recover_after_restart`` (a worker starts) sends again what a killed
  worker held, then sweeps, so nothing waits for a visibility timeout.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from articles.liveness import live_q
from articles.models import Article, ArticleTransition

from . import actions, effects, exact_time
from .models import ExactTimeTask, SideEffectRun, TaskFailure

logger = logging.getLogger(__name__)
Status = Article.Status

# How far back the sweep looks for publications that never got their effects.
EFFECTS_LOOKBACK = timedelta(days=7)


def late_after() -> timedelta:
    return timedelta(seconds=settings.PIPELINE_LATE_AFTER_SECONDS)


# --- Acting on the row -----------------------------------------------------------


def _test_pause() -> None:
    """Tests make a publish slow to kill its worker mid-flight (never in production)."""
    pause = settings.PIPELINE_TEST_PUBLISH_PAUSE
    if pause:
        time.sleep(pause)


def publish_if_due(*, article_id: int, now: datetime) -> bool:
    """Publish a scheduled article whose time has come; True when this call published it."""
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None or article.status != Status.SCHEDULED:
            return False
        if article.publish_at is None or article.publish_at > now:
            return False  # moved later, or an early delivery: the later task/sweep will do it
        logger.info("publishing due article %s", article_id)
        _test_pause()
        actions.PUBLISH.execute(article_id=article_id, by=None, now=now)
    logger.info("published article %s (due %s)", article_id, article.publish_at.isoformat())
    return True


def unpublish_if_expired(*, article_id: int, now: datetime) -> bool:
    """Take a published article down once its expiry time has passed."""
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None or article.status != Status.PUBLISHED:
            return False
        if article.expires_at is None or article.expires_at > now:
            return False
        actions.UNPUBLISH.execute(article_id=article_id, by=None, now=now, note="expired")
    logger.info("unpublished article %s at expiry", article_id)
    return True


# --- Failures staff can see ------------------------------------------------------


def record_failure(
    *,
    task_name: str,
    error: str,
    article_id: int | None = None,
    task_id: str = "",
    args: list | None = None,
    traceback: str = "",
) -> TaskFailure:
    """Keep a failure for staff; a repeat of an open one only bumps its count."""
    now = timezone.now()
    error = error[:2000]
    existing = TaskFailure.objects.filter(
        task_name=task_name, article_id=article_id, error=error, resolved_at__isnull=True
    ).first()
    if existing:
        existing.occurrences += 1
        existing.last_seen = now
        existing.task_id = task_id or existing.task_id
        existing.save(update_fields=["occurrences", "last_seen", "task_id"])
        return existing
    return TaskFailure.objects.create(
        task_name=task_name,
        task_id=task_id,
        article_id=article_id,
        args=args or [],
        error=error,
        traceback=traceback[-8000:],
        first_seen=now,
        last_seen=now,
    )


# --- The sweep -------------------------------------------------------------------


def live_without_effects(*, now: datetime):
    """Publish transitions of live articles (``articles.liveness``) whose side
    effects never started.

    That is an embargo that has just lifted, or a publish whose fan-out was
    lost (the process died between commit and enqueue).
    """
    latest = (
        ArticleTransition.objects.filter(article=OuterRef("article"), to_status=Status.PUBLISHED)
        .order_by("-at", "-pk")
        .values("pk")[:1]
    )
    return (
        ArticleTransition.objects.filter(
            live_q(at=now, prefix="article__"),
            to_status=Status.PUBLISHED,
            at__gte=now - EFFECTS_LOOKBACK,
        )
        .filter(pk=Subquery(latest))
        .filter(~Exists(SideEffectRun.objects.filter(transition=OuterRef("pk"))))
    )


def late_articles(*, now: datetime):
    """Scheduled articles more than ``PIPELINE_LATE_AFTER_SECONDS`` past their time."""
    return Article.objects.due(at=now - late_after()).order_by("publish_at")


def _each(task_name: str, ids, action: Callable[[int], bool]) -> int:
    """Apply ``action`` to each id; one article's failure does not stop the rest."""
    done = 0
    for pk in ids:
        try:
            done += bool(action(pk))
        except Exception as exc:
            logger.exception("%s failed for article %s", task_name, pk)
            record_failure(
                task_name=task_name,
                article_id=pk,
                error=f"{exc.__class__.__name__}: {exc}",
                args=[pk],
            )
    return done


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Do whatever the rows say is due that no task has done; safe to run any time."""
    now = now or timezone.now()
    summary = {
        "published": _each(
            "sweep:publish",
            list(Article.objects.due(at=now).values_list("pk", flat=True)),
            lambda pk: publish_if_due(article_id=pk, now=now),
        ),
        "expired": _each(
            "sweep:expire",
            list(
                Article.objects.filter(status=Status.PUBLISHED, expires_at__lte=now).values_list(
                    "pk", flat=True
                )
            ),
            lambda pk: unpublish_if_expired(article_id=pk, now=now),
        ),
    }
    summary["effects_started"] = sum(
        effects.start_side_effects(transition_id=pk)
        for pk in live_without_effects(now=now).values_list("pk", flat=True)
    )
    summary["effects_requeued"] = effects.requeue_stalled(now=now)
    summary["enqueued"] = exact_time.enqueue_soon_due(now=now)
    ExactTimeTask.objects.filter(due_at__lt=now - timedelta(days=1)).delete()
    late = list(late_articles(now=now).values_list("pk", "publish_at"))
    for pk, publish_at in late:
        logger.warning(
            "article %s is %d s late (due %s)",
            pk,
            (now - publish_at).total_seconds(),
            publish_at.isoformat(),
        )
    summary["late"] = len(late)
    if any(summary.values()):
        logger.info("publication sweep: %s", summary)
    return summary


def recover_after_restart(*, worker: str, started_at: datetime, now: datetime) -> dict[str, int]:
    """A worker started: send again what a killed worker held, then sweep.

    After ``kill -9`` the exact-time tasks and side-effect retries the worker
    had reserved stay in the broker until its visibility timeout. Sending
    them again now makes a schedule still to come fire on time, and the
    sweep that follows publishes, expires and retries what is already due;
    duplicates are harmless, every task checks the row or the run first.
    """
    summary = {
        "exact_time_resent": exact_time.resend_held(now=now),
        "effects_resent": effects.requeue_held(worker=worker, started_at=started_at),
    }
    summary.update(sweep(now=now))
    logger.info("worker %s started; recovery: %s", worker, summary)
    return summary
