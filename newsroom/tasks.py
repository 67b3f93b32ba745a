from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from .models import ProcessHeartbeat


@shared_task(acks_late=True)
def heartbeat(name: str = "worker", detail: str = "") -> str:
    """Record that a worker ran a task; beat sends one every ``WORKER_HEARTBEAT_SECONDS``."""
    ProcessHeartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now(), "detail": detail[:200]}
    )
    return name


@worker_ready.connect
def _heartbeat_at_start(sender, **kwargs) -> None:
    """A worker that just started proves the whole loop (broker in, task run) at once,
    instead of waiting for beat's first heartbeat."""
    heartbeat.delay(detail="worker started")
