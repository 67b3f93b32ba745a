from celery import shared_task
from django.utils import timezone

from .models import ProcessHeartbeat


@shared_task(acks_late=True)
def heartbeat(name: str = "worker", detail: str = "") -> str:
    """Record that a worker ran a task; beat sends one every minute."""
    ProcessHeartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now(), "detail": detail[:200]}
    )
    return name
