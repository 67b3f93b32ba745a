"""Celery tasks of the publication pipeline. Each only hands over to a service
in ``publishing.pipeline``, which checks the article row before acting, so a
duplicate, early or late delivery is harmless.
"""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

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
# the article stays published whatever happens here.
_SIDE_EFFECT = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**_ON_THE_ROW)
def publish_scheduled_article(article_id: int) -> bool:
    """Exact-time publish; does nothing unless the row says the article is due."""
    return publishing.publish_if_due(article_id=article_id, now=timezone.now())


@shared_task(**_ON_THE_ROW)
def lift_embargo(article_id: int) -> bool:
    """Exact-time embargo lift: start the go-live side effects once it has passed."""
    return publishing.lift_embargo_if_due(article_id=article_id, now=timezone.now())


@shared_task(**_ON_THE_ROW)
def expire_article(article_id: int) -> bool:
    """Exact-time unpublish at expiry; does nothing unless the row says it expired."""
    return publishing.unpublish_if_expired(article_id=article_id, now=timezone.now())


@shared_task(acks_late=True)
def sweep_publications() -> dict:
    """Beat, every ``PIPELINE_SWEEP_SECONDS``: do what lost or purged tasks missed."""
    return publishing.sweep(now=timezone.now())


@shared_task(**_ON_THE_ROW)
def start_side_effects(transition_id: int) -> int:
    """Fan a status change out into one task per side effect (once)."""
    return publishing.start_side_effects(transition_id=transition_id)


@shared_task(**_SIDE_EFFECT)
def purge_article_caches(run_id: int) -> bool:
    """Purge the cached article page, its section and topic lists and the home page."""
    return publishing.perform_side_effect(run_id=run_id)


@shared_task(**_SIDE_EFFECT)
def refresh_feeds_and_sitemaps(run_id: int) -> bool:
    """Purge the cached feeds and sitemaps so they list the change."""
    return publishing.perform_side_effect(run_id=run_id)


@shared_task(**_SIDE_EFFECT)
def send_notification(run_id: int) -> bool:
    """Tell one notifier (webhook, e-mail, ...) that an article went live."""
    return publishing.perform_side_effect(run_id=run_id)
