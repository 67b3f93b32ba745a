"""Exact-time tasks: a broker message for the moment an article's row asks for.

``plan_exact_time`` puts a task in the broker for each time that is near
(within ``PIPELINE_ETA_HORIZON_SECONDS``); later times stay in the database
and the sweep enqueues them as they come near (``enqueue_soon_due``). An
``ExactTimeTask`` marker keeps either from enqueueing the same moment twice.

A worker killed with ``kill -9`` takes the ETA messages it had reserved
with it: Redis hands them out again only after its visibility timeout (an
hour), and their markers would keep the sweep from sending them again. A
worker that starts therefore calls ``resend_held`` (``publishing.tasks``),
which forgets the markers of what is still to come and sends it all again;
a duplicate is harmless, since every task checks the row before it acts.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from articles.models import Article

from .models import ExactTimeTask

logger = logging.getLogger(__name__)
Status = Article.Status
Action = ExactTimeTask.Action


def horizon() -> timedelta:
    return timedelta(seconds=settings.PIPELINE_ETA_HORIZON_SECONDS)


def _due_times(article: Article, *, now: datetime) -> list[tuple[str, datetime]]:
    """The future moments at which this article's row asks for an action."""
    times = []
    if article.status == Status.SCHEDULED and article.publish_at:
        times.append((Action.PUBLISH, article.publish_at))
    if article.status in (Status.SCHEDULED, Status.PUBLISHED):
        if article.embargo_until and article.embargo_until > now:
            times.append((Action.LIFT_EMBARGO, article.embargo_until))
        if article.expires_at and article.expires_at > now:
            times.append((Action.EXPIRE, article.expires_at))
    return times


def _enqueue(action: str, article_id: int, due_at: datetime) -> bool:
    """Put one exact-time task in the broker, at most once per (article, action, time)."""
    from . import tasks

    task = {
        Action.PUBLISH: tasks.publish_scheduled_article,
        Action.LIFT_EMBARGO: tasks.lift_embargo,
        Action.EXPIRE: tasks.expire_article,
    }[action]
    try:
        with transaction.atomic():
            ExactTimeTask.objects.create(article_id=article_id, action=action, due_at=due_at)
    except IntegrityError:
        return False  # already in the broker
    try:
        task.apply_async(args=[article_id], eta=due_at)
    except Exception:
        # The broker is down: forget the marker so the next sweep tries again;
        # the sweep also acts on the row itself, so nothing is lost.
        ExactTimeTask.objects.filter(article_id=article_id, action=action, due_at=due_at).delete()
        logger.exception("could not enqueue %s for article %s", action, article_id)
        return False
    return True


def plan_exact_time(*, article_id: int, now: datetime) -> int:
    """Enqueue the near-future actions the article's committed row asks for.

    Called once a schedule, publish or time change commits (``actions``) and
    by the sweep; returns how many tasks went to the broker. A schedule moved
    later gets a new task; the old one still fires and finds nothing to do.
    """
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return 0
    enqueued = 0
    for action, due_at in _due_times(article, now=now):
        if due_at - now <= horizon():
            enqueued += _enqueue(action, article.pk, due_at)
    return enqueued


def plan_after_commit(article_id: int) -> None:
    """``plan_exact_time`` once the current transaction commits (workers must see the row)."""
    from django.utils import timezone

    def plan():
        try:
            plan_exact_time(article_id=article_id, now=timezone.now())
        except Exception:
            logger.exception("could not plan article %s; the sweep will", article_id)

    transaction.on_commit(plan)


def enqueue_soon_due(*, now: datetime) -> int:
    """Enqueue exact-time tasks for every schedule that entered the horizon."""
    soon = now + horizon()
    candidates = (
        Article.objects.filter(status=Status.SCHEDULED, publish_at__gt=now, publish_at__lte=soon)
        | Article.objects.filter(
            status__in=[Status.SCHEDULED, Status.PUBLISHED],
            embargo_until__gt=now,
            embargo_until__lte=soon,
        )
        | Article.objects.filter(
            status__in=[Status.SCHEDULED, Status.PUBLISHED],
            expires_at__gt=now,
            expires_at__lte=soon,
        )
    )
    return sum(
        plan_exact_time(article_id=pk, now=now) for pk in candidates.values_list("pk", flat=True)
    )


def resend_held(*, now: datetime) -> int:
    """Send again every exact-time task still to come, whoever holds its message.

    For a worker that starts: the messages a killed worker had reserved are
    out of reach until the broker's visibility timeout. What is already due
    needs no message: the sweep that follows acts on the row itself.
    """
    ExactTimeTask.objects.filter(due_at__gt=now).delete()
    return enqueue_soon_due(now=now)
