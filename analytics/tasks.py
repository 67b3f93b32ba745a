"""Readership tasks: each hands over to ``analytics.popularity``."""

from celery import shared_task
from django.utils import timezone

from . import funnel, popularity


@shared_task(acks_late=True)
def roll_up_page_views() -> dict:
    """Beat: fold counted page views into most-read and hot topics."""
    return popularity.roll_up(now=timezone.now())


@shared_task(acks_late=True)
def roll_up_funnel() -> dict:
    """Beat: write recorded funnel events exactly once, recount their days, attribute."""
    return funnel.roll_up(now=timezone.now())
