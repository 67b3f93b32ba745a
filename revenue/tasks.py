"""Revenue desk tasks: each hands over to ``revenue.snapshots``."""

from celery import shared_task
from django.utils import timezone

from . import snapshots


@shared_task(acks_late=True)
def write_snapshots() -> dict:
    """Beat: recompute the desk's snapshots of the last days, cohorts and the what-if."""
    return snapshots.write(now=timezone.now())
