"""Celery tasks of the content app: photo renditions."""

from celery import shared_task
from django.db import DatabaseError


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def generate_photo_renditions(photo_id: int) -> None:
    """Make a photo's renditions (after upload or a focal-point change); safe to repeat."""
    from .images import photo_generate_renditions

    photo_generate_renditions(photo_id)
