from django.db import models


class ProcessHeartbeat(models.Model):
    """The last time a background process proved it was alive.

    The worker's heartbeat task writes ``worker``; beat schedules it, so a
    fresh row also shows that beat runs. ``/healthz`` reports both.
    """

    name = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
