"""Celery tasks of the publication pipeline. Each only hands over to a service
(``pipeline``, ``effects``), which checks the article row or the run before
acting, so a duplicate, early or late delivery is harmless.
"""

from celery import shared_task
from celery.signals import worker_ready
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import effects
from . import pipeline as publishing

# Publishing tasks retry only on database trouble (a lock timeout, a restart);
# a validation problem would fail the same way again and is left to staff.
_ON_THE_ROW = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 5,
}
# Side effects retry on anything, with growing pauses, for about half an hour;
# the article stays published whatever happens here. The sweep knows this
# policy (``effects.retry_overdue_at``) to resend a retry that was lost.
_SIDE_EFFECT = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": effects.RETRY_BACKOFF,
    "retry_backoff_max": effects.RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": effects.RETRIES,
}


@shared_task(**_ON_THE_ROW)
def publish_scheduled_article(article_id: int) -> bool:
    """Exact-time publish; does nothing unless the row says the article is due."""
    return publishing.publish_if_due(article_id=article_id, now=timezone.now())


@shared_task(**_ON_THE_ROW)
def lift_embargo(article_id: int) -> bool:
    """Exact-time embargo lift: start the go-live side effects once it has passed."""
    return effects.lift_embargo_if_due(article_id=article_id, now=timezone.now())


@shared_task(**_ON_THE_ROW)
def expire_article(article_id: int) -> bool:
    """Exact-time unpublish at expiry; does nothing unless the row says it expired."""
    return publishing.unpublish_if_expired(article_id=article_id, now=timezone.now())


@shared_task(acks_late=True)
def sweep_publications() -> dict:
    """Beat, every ``PIPELINE_SWEEP_SECONDS``: do what lost or purged tasks missed."""
    return publishing.sweep(now=timezone.now())


@shared_task(acks_late=True)
def recover_after_restart(worker: str, started_at: str) -> dict:
    """Sent by a worker as it starts: resend what a killed worker held, then sweep."""
    return publishing.recover_after_restart(
        worker=worker, started_at=parse_datetime(started_at), now=timezone.now()
    )


@worker_ready.connect
def _recover_at_start(sender, **kwargs) -> None:
    recover_after_restart.delay(sender.hostname, timezone.now().isoformat())


@shared_task(**_ON_THE_ROW)
def start_side_effects(transition_id: int) -> int:
    """Fan a status change out into one task per side effect (once)."""
    return effects.start_side_effects(transition_id=transition_id)


@shared_task(**_SIDE_EFFECT)
def purge_article_caches(self, run_id: int) -> bool:
    """Purge the cached article page, its section and topic lists and the home page."""
    return effects.perform_side_effect(run_id=run_id, worker=self.request.hostname or "")


@shared_task(**_SIDE_EFFECT)
def refresh_feeds_and_sitemaps(self, run_id: int) -> bool:
    """Purge the cached feeds and sitemaps so they list the change."""
    return effects.perform_side_effect(run_id=run_id, worker=self.request.hostname or "")


@shared_task(**_SIDE_EFFECT)
def send_notification(self, run_id: int) -> bool:
    """Tell one notifier (webhook, e-mail, ...) that an article went live."""
    return effects.perform_side_effect(run_id=run_id, worker=self.request.hostname or "")
