"""Side effects of a status change: cache purge, feeds and sitemaps, notifications.

``start_side_effects`` records one ``SideEffectRun`` per effect and status
change (unique), and ``perform_side_effect`` claims a run before running it,
so each effect fires once however often it is delivered. The workflow's
Publish and Unpublish actions call ``after_publish``/``after_unpublish``
once their change has committed; the sweep (``pipeline``) starts what was
lost and sends again what is stuck (``requeue_stalled``), and a worker that
starts sends again what a killed one held (``requeue_held``).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.models import Article, ArticleTransition
from pagecache import listindex
from pagecache import store as page_cache

from . import exact_time
from .models import SideEffectRun

logger = logging.getLogger(__name__)
Status = Article.Status
RunStatus = SideEffectRun.Status

# The side-effect tasks' retry policy (``tasks``), here so the sweep can tell
# a retry that is merely waiting from one that was lost with its worker.
RETRY_BACKOFF = 5  # seconds before the first retry, doubling each time
RETRY_BACKOFF_MAX = 600
RETRIES = 8
MAX_ATTEMPTS = RETRIES + 1
# A retry not started this long after its backoff ran out was lost (the
# worker holding its message died); the margin covers a slow effect and a
# busy queue.
RETRY_GRACE = timedelta(seconds=60)
# A run claimed longer ago than this is taken to be lost with its worker.
CLAIM_TIMEOUT = timedelta(minutes=5)
# A run still pending this long after it was created lost its message.
PENDING_TIMEOUT = timedelta(minutes=2)


# --- What the effects are ----------------------------------------------------------


def _purge_caches(article: Article) -> None:
    # The article's lists are counted and paged again first, from the committed
    # change: the pages the purge forgets are rendered again with them.
    listindex.rebuild(listindex.lists_of(article), at=timezone.now())
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


# --- Starting and running them -------------------------------------------------------


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


def perform_side_effect(*, run_id: int, now: datetime | None = None, worker: str = "") -> bool:
    """Run one side effect if nobody has (or is doing it); True when it ran.

    The claim (with the ``worker`` that took it) is committed before the
    effect runs, so a slow effect (a webhook) holds no lock, and a duplicate
    delivery sees the claim and leaves. A failure marks the run failed and
    re-raises for the task's retry; it never touches the article's status.
    A run that failed ``MAX_ATTEMPTS`` times is left for staff ("Run again").
    """
    now = now or timezone.now()
    with transaction.atomic():
        run = SideEffectRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status == RunStatus.DONE:
            return False
        if run.status == RunStatus.RUNNING and run.claimed_at > now - CLAIM_TIMEOUT:
            return False
        if run.status == RunStatus.FAILED and run.attempts >= MAX_ATTEMPTS:
            return False  # gave up; a late duplicate delivery does not start over
        run.status = RunStatus.RUNNING
        run.claimed_at = now
        run.claimed_by = worker[:200]
        run.attempts += 1
        run.save(update_fields=["status", "claimed_at", "claimed_by", "attempts"])
    article = (
        Article.objects.select_related("section", "lead_photo")
        .prefetch_related("topics")
        .get(pk=run.article_id)
    )
    try:
        _effect_callable(run.effect)(article)
    except Exception as exc:
        SideEffectRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, last_error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        raise
    SideEffectRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE, done_at=timezone.now(), last_error=""
    )
    return True


def retry_run(*, run_id: int) -> None:
    """Staff asked to run a failed side effect again (admin action)."""
    SideEffectRun.objects.filter(pk=run_id).exclude(status=RunStatus.DONE).update(
        status=RunStatus.PENDING, claimed_at=None
    )
    run = SideEffectRun.objects.get(pk=run_id)
    if run.status == RunStatus.PENDING:
        enqueue_run(run)


# --- Reacting to committed status changes (called by ``actions``) -------------------


def after_publish(*, article_id: int, now: datetime) -> None:
    """A publish committed: plan its embargo lift and expiry, and fan out its side
    effects once readers can see it (an embargo holds them until it lifts).

    Runs in whichever process published (web, worker). A failure here is
    left to the sweep; it never undoes or blocks the publish.
    """
    from . import tasks

    exact_time.plan_exact_time(article_id=article_id, now=now)
    article = Article.objects.filter(pk=article_id).first()
    if article is None or not article.is_live(at=now):
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


def lift_embargo_if_due(*, article_id: int, now: datetime) -> bool:
    """Start the go-live side effects of a published article readers can now see."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None or not article.is_live(at=now):
        return False
    transition = latest_transition(article_id, Status.PUBLISHED)
    return transition is not None and start_side_effects(transition_id=transition.pk) > 0


# --- Runs whose message was lost ----------------------------------------------------


def retry_overdue_at(run: SideEffectRun) -> datetime:
    """When a failed run's retry should have started at the latest (its backoff, jitter
    included, plus ``RETRY_GRACE``); past this, nothing holds it any more."""
    backoff = min(RETRY_BACKOFF_MAX, RETRY_BACKOFF * 2 ** max(run.attempts - 1, 0))
    return (run.claimed_at or run.created_at) + timedelta(seconds=backoff) + RETRY_GRACE


def requeue_stalled(*, now: datetime) -> int:
    """Send again the runs whose message is lost: pending too long, claimed by a
    worker that never finished, or failed with a retry that never came."""
    stalled = list(
        SideEffectRun.objects.filter(status=RunStatus.PENDING, created_at__lt=now - PENDING_TIMEOUT)
        | SideEffectRun.objects.filter(status=RunStatus.RUNNING, claimed_at__lt=now - CLAIM_TIMEOUT)
    )
    stalled += [
        run
        for run in SideEffectRun.objects.filter(status=RunStatus.FAILED, attempts__lt=MAX_ATTEMPTS)
        if retry_overdue_at(run) < now
    ]
    for run in stalled:
        enqueue_run(run)
    return len(stalled)


def requeue_held(*, worker: str, started_at: datetime) -> int:
    """A worker (re)started: send again every run whose message it may have held.

    Its own claims from before it started died with it. Pending runs and
    failed runs waiting for a retry are sent again too: their message may
    have been reserved by the killed worker, and a duplicate is harmless
    (the claim lets one delivery run the effect).
    """
    SideEffectRun.objects.filter(
        status=RunStatus.RUNNING, claimed_by=worker, claimed_at__lt=started_at
    ).update(status=RunStatus.FAILED, last_error=f"Lost when worker {worker} stopped"[:2000])
    held = list(
        SideEffectRun.objects.filter(status=RunStatus.PENDING, created_at__lt=started_at)
        | SideEffectRun.objects.filter(status=RunStatus.FAILED, attempts__lt=MAX_ATTEMPTS)
    )
    for run in held:
        enqueue_run(run)
    return len(held)
