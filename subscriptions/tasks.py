"""Subscription work for Celery. Each task only hands over to a service; all are safe
to run twice (the services lock, mark first and return early when already done)."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from .billing.webhooks import stuck_event_ids, webhook_process
from .services import reminders, renewals


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def process_webhook_event(event_pk: int) -> str:
    """Process one stored webhook event (once; errors retry with backoff)."""
    return webhook_process(event_pk=event_pk, now=timezone.now())


@shared_task(acks_late=True)
def retry_stuck_webhooks() -> int:
    """Re-enqueue events still unprocessed after 5 minutes (a lost task, exhausted retries)."""
    stuck = stuck_event_ids(now=timezone.now())
    for pk in stuck:
        process_webhook_event.delay(pk)
    return len(stuck)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def renew_due() -> int:
    return renewals.renew_due(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def expire_lapsed() -> int:
    return renewals.expire_lapsed(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def send_renewal_reminders() -> int:
    return reminders.send_renewal_reminders(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def send_trial_ending_notices() -> int:
    return reminders.send_trial_ending_notices(now=timezone.now())
