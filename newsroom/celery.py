"""The Celery app. Tasks live in each app's ``tasks.py``; settings are ``CELERY_*``."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

app = Celery("newsroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs):
    """Worker and beat log through ``settings.LOGGING``, like the web process.

    Left to itself Celery replaces the root handlers and, in beat, sends
    stdout into a logger that Django's stdout handler then writes back to,
    so beat's lines after "Starting..." were lost.
    """
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
