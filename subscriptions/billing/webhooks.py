"""The webhook event store: receive once, process once, retry until done.

``webhook_receive`` runs in the HTTP request after the signature is verified:
it stores the event under its unique (provider, event id) *before* any
processing, so a second delivery (even at the same moment) finds the row and
stops. ``webhook_process`` runs in a Celery task; it locks the event row, so
two workers handed the same event process it once.
"""

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from ..models import WebhookEvent
from . import get_provider
from .base import ProviderEvent

logger = logging.getLogger(__name__)


def webhook_receive(
    *, provider: str, event: ProviderEvent, now: datetime
) -> tuple[WebhookEvent, bool]:
    """Store a verified event; return (event, created). Enqueues processing once, after commit."""
    from ..tasks import process_webhook_event

    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                provider=provider,
                event_id=event.id,
                type=event.type,
                created=event.created,
                payload=event.payload,
                received_at=now,
            )
    except IntegrityError:
        return WebhookEvent.objects.get(provider=provider, event_id=event.id), False
    transaction.on_commit(lambda: process_webhook_event.delay(stored.pk))
    return stored, True


def stuck_event_ids(*, now: datetime, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Events still unprocessed after ``older_than`` (a lost task, exhausted retries)."""
    return list(
        WebhookEvent.objects.filter(
            status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED],
            received_at__lt=now - older_than,
            attempts__lt=50,
        ).values_list("pk", flat=True)[:500]
    )


def webhook_process(*, event_pk: int, now: datetime) -> str:
    """Apply one stored event, once. Raises (after recording the error) so the task retries."""
    error: Exception | None = None
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
        if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
            return event.status
        event.attempts += 1
        try:
            with transaction.atomic():
                result = get_provider(event.provider).handle_event(event, now=now)
        except Exception as exc:  # recorded, then re-raised for Celery's retry
            error = exc
            event.status = WebhookEvent.Status.FAILED
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            event.status = (
                WebhookEvent.Status.PROCESSED
                if result == "processed"
                else WebhookEvent.Status.IGNORED
            )
            event.processed_at = now
            event.last_error = ""
        event.save(update_fields=["status", "attempts", "last_error", "processed_at", "user"])
    if error is not None:
        logger.warning("webhook %s %s failed: %s", event.provider, event.event_id, error)
        raise error
    return event.status
