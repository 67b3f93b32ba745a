"""The publication pipeline's services: exact-time scheduling, the sweep, and
after-publish side effects.

The article row is the truth. Tasks (``publishing.tasks``) only hand over to
these functions, and every function checks the row before it acts, so an
early, late, duplicated or lost message changes nothing it should not:

- ``plan_exact_time`` puts a task in the broker for a time that is near
  (within ``PIPELINE_ETA_HORIZON_SECONDS``); later times stay in the database
  and ``sweep`` enqueues them as they come near.
- ``publish_if_due`` / ``lift_embargo_if_due`` / ``unpublish_if_expired`` act
  only when the row says the time has come.
- ``sweep`` (beat, every ``PIPELINE_SWEEP_SECONDS``) publishes and expires
  whatever a lost, purged or crashed task missed.
- ``start_side_effects`` records one ``SideEffectRun`` per effect and status
  change (unique), and ``perform_side_effect`` claims a run before running it,
  so each effect fires once however often it is delivered.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from articles import services
from articles.models import Article, ArticleTransition
from pagecache import store as page_cache

from .models import ExactTimeTask, SideEffectRun, TaskFailure

logger = logging.getLogger(__name__)
Status = Article.Status
Action = ExactTimeTask.Action

# A run claimed longer ago than this is taken to be lost with its worker.
CLAIM_TIMEOUT = timedelta(minutes=5)
# A run still pending this long after it was created lost its message.
PENDING_TIMEOUT = timedelta(minutes=2)
# How far back the sweep looks for publications that never got their effects.
EFFECTS_LOOKBACK = timedelta(days=7)


def late_after() -> timedelta:
    return timedelta(seconds=settings.PIPELINE_LATE_AFTER_SECONDS)


def horizon() -> timedelta:
    return timedelta(seconds=settings.PIPELINE_ETA_HORIZON_SECONDS)


# --- Exact-time tasks -----------------------------------------------------------


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

    Called after a status change commits and by the sweep; returns how many
    tasks went to the broker. A schedule moved later gets a new task; the
    old one still fires and finds nothing to do.
    """
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        return 0
    enqueued = 0
    for action, due_at in _due_times(article, now=now):
        if due_at - now <= horizon():
            enqueued += _enqueue(action, article.pk, due_at)
    return enqueued


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
        services.article_publish(article_id=article_id, by=None, now=now)
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
        services.article_unpublish(article_id=article_id, by=None, now=now, note="expired")
    logger.info("unpublished article %s at expiry", article_id)
    return True


def lift_embargo_if_due(*, article_id: int, now: datetime) -> bool:
    """Start the go-live side effects of a published article whose embargo has ended."""
    article = Article.objects.filter(pk=article_id, status=Status.PUBLISHED).first()
    if article is None or (article.embargo_until and article.embargo_until > now):
        return False
    transition = latest_transition(article_id, Status.PUBLISHED)
    return transition is not None and start_side_effects(transition_id=transition.pk) > 0


# --- Side effects ----------------------------------------------------------------


def _purge_caches(article: Article) -> None:
    page_cache.purge_for_article(article)


def _refresh_feeds_and_sitemaps(article: Article) -> None:
    page_cache.purge_feeds_and_sitemaps()


def _notifier_effect(name: str) -> Callable[[Article], None]:
    def send(article: Article) -> None:
        from . import notify

        notify.notifier_named(name).send(notify.Notice.for_article(article))

    return send


def effects_for(to_status: str) -> dict[str, Callable[[Article], None]]:
    """The side effects of a status change, by name (the run's ``effect``)."""
    effects = {
        "purge_caches": _purge_caches,
        "feeds_sitemaps": _refresh_feeds_and_sitemaps,
    }
    if to_status == Status.PUBLISHED:
        from . import notify

        for notifier in notify.configured_notifiers():
            effects[f"notify:{notifier.name}"] = _notifier_effect(notifier.name)
    return effects


def _effect_callable(effect: str) -> Callable[[Article], None]:
    if effect.startswith("notify:"):
        return _notifier_effect(effect.removeprefix("notify:"))
    return effects_for(Status.UNPUBLISHED)[effect]


def latest_transition(article_id: int, to_status: str) -> ArticleTransition | None:
    return (
        ArticleTransition.objects.filter(article_id=article_id, to_status=to_status)
        .order_by("-at", "-pk")
        .first()
    )


def _task_for(effect: str):
    from . import tasks

    if effect.startswith("notify:"):
        return tasks.send_notification
    return {
        "purge_caches": tasks.purge_article_caches,
        "feeds_sitemaps": tasks.refresh_feeds_and_sitemaps,
    }[effect]


def enqueue_run(run: SideEffectRun) -> None:
    """Hand one run to its task; a broker failure is left for the sweep to retry."""
    try:
        _task_for(run.effect).delay(run.pk)
    except Exception:
        logger.exception("could not enqueue %s for article %s", run.effect, run.article_id)


def start_side_effects(*, transition_id: int) -> int:
    """Record and enqueue each side effect of one status change, once.

    Safe to call any number of times for the same change (signal, sweep,
    embargo lift): runs that exist are neither recreated nor re-enqueued.
    """
    transition = ArticleTransition.objects.filter(pk=transition_id).first()
    if transition is None:
        return 0
    started = []
    for effect in effects_for(transition.to_status):
        try:
            with transaction.atomic():
                run = SideEffectRun.objects.create(
                    transition=transition, article_id=transition.article_id, effect=effect
                )
        except IntegrityError:
            continue  # someone else started this one
        started.append(run)
    for run in started:
        transaction.on_commit(lambda run=run: enqueue_run(run))
    return len(started)


def perform_side_effect(*, run_id: int, now: datetime | None = None) -> bool:
    """Run one side effect if nobody has (or is doing it); True when it ran.

    The claim is committed before the effect runs, so a slow effect (a
    webhook) holds no lock, and a duplicate delivery sees the claim and
    leaves. A failure marks the run failed and re-raises for the task's retry;
    it never touches the article's status.
    """
    now = now or timezone.now()
    with transaction.atomic():
        run = SideEffectRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status == SideEffectRun.Status.DONE:
            return False
        if run.status == SideEffectRun.Status.RUNNING and run.claimed_at > now - CLAIM_TIMEOUT:
            return False
        run.status = SideEffectRun.Status.RUNNING
        run.claimed_at = now
        run.attempts += 1
        run.save(update_fields=["status", "claimed_at", "attempts"])
    article = (
        Article.objects.select_related("section", "lead_photo")
        .prefetch_related("topics")
        .get(pk=run.article_id)
    )
    try:
        _effect_callable(run.effect)(article)
    except Exception as exc:
        SideEffectRun.objects.filter(pk=run.pk).update(
            status=SideEffectRun.Status.FAILED, last_error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        raise
    SideEffectRun.objects.filter(pk=run.pk).update(
        status=SideEffectRun.Status.DONE, done_at=timezone.now(), last_error=""
    )
    return True


def retry_run(*, run_id: int) -> None:
    """Staff asked to run a failed side effect again (admin action)."""
    SideEffectRun.objects.filter(pk=run_id).exclude(status=SideEffectRun.Status.DONE).update(
        status=SideEffectRun.Status.PENDING, claimed_at=None
    )
    run = SideEffectRun.objects.get(pk=run_id)
    if run.status == SideEffectRun.Status.PENDING:
        enqueue_run(run)


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
    """Publish transitions of live articles whose side effects never started.

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
            to_status=Status.PUBLISHED,
            at__gte=now - EFFECTS_LOOKBACK,
            article__status=Status.PUBLISHED,
        )
        .exclude(article__embargo_until__gt=now)
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
        start_side_effects(transition_id=pk)
        for pk in live_without_effects(now=now).values_list("pk", flat=True)
    )
    stale = SideEffectRun.objects.filter(
        status=SideEffectRun.Status.PENDING, created_at__lt=now - PENDING_TIMEOUT
    ) | SideEffectRun.objects.filter(
        status=SideEffectRun.Status.RUNNING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    stale = list(stale)
    for run in stale:
        enqueue_run(run)
    summary["effects_requeued"] = len(stale)
    summary["enqueued"] = enqueue_soon_due(now=now)
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


# --- Reacting to committed status changes (connected in publishing.apps) -----------


def after_publish(*, article_id: int, now: datetime) -> None:
    """A publish committed: fan out its side effects, unless an embargo holds them.

    Runs in whichever process published (web, worker). Any failure here is
    logged and left to the sweep; it never undoes or blocks the publish.
    """
    from . import tasks

    plan_exact_time(article_id=article_id, now=now)  # embargo lift, expiry
    article = Article.objects.filter(pk=article_id).only("embargo_until").first()
    if article is None or (article.embargo_until and article.embargo_until > now):
        return
    transition = latest_transition(article_id, Status.PUBLISHED)
    if transition is not None:
        tasks.start_side_effects.delay(transition.pk)


def after_unpublish(*, article_id: int) -> None:
    """An unpublish committed: purge caches, feeds and the search entry."""
    from . import tasks

    transition = latest_transition(article_id, Status.UNPUBLISHED)
    if transition is not None:
        tasks.start_side_effects.delay(transition.pk)
