"""A beat scheduler that sends periodic tasks only while it holds a lease.

Two ``celery beat`` processes would send every periodic task twice. Each
``SingletonScheduler`` tries to take (or renew) the ``BeatLock`` row before
each tick; the one that cannot stands by and sends nothing, and takes over
once the holder has been silent for ``PIPELINE_BEAT_LOCK_TTL`` seconds. A
beat that stops cleanly releases the lease at once.
"""

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from celery.beat import PersistentScheduler
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

LOCK_NAME = "celery-beat"


def acquire_lock(*, name: str, holder: str, ttl: float, now: datetime) -> bool:
    """Take or renew the named lease for ``holder``; False while another holds it."""
    from .models import BeatLock

    expires = now + timedelta(seconds=ttl)
    # One UPDATE is atomic on every database: it renews our own lease or takes
    # an expired one, and matches nothing while someone else's is valid.
    taken = BeatLock.objects.filter(name=name).filter(holder=holder).update(
        expires_at=expires
    ) or BeatLock.objects.filter(name=name, expires_at__lt=now).update(
        holder=holder, expires_at=expires
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            BeatLock.objects.create(name=name, holder=holder, expires_at=expires)
    except IntegrityError:
        return False
    return True


def release_lock(*, name: str, holder: str) -> None:
    from .models import BeatLock

    BeatLock.objects.filter(name=name, holder=holder).delete()


class SingletonScheduler(PersistentScheduler):
    """``PersistentScheduler`` that ticks only while holding the beat lease."""

    def __init__(self, *args, **kwargs):
        import django

        django.setup()
        from django.conf import settings

        self.lock_ttl = float(settings.PIPELINE_BEAT_LOCK_TTL)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.is_holder: bool | None = None  # unknown until the first tick
        self._checked_at = 0.0
        super().__init__(*args, **kwargs)

    def _hold(self) -> bool:
        # Renew well before the lease runs out, but not on every tick.
        if self.is_holder is True and time.monotonic() - self._checked_at < self.lock_ttl / 3:
            return True
        close_old_connections()
        try:
            held = acquire_lock(
                name=LOCK_NAME, holder=self.holder, ttl=self.lock_ttl, now=timezone.now()
            )
        except Exception:
            logger.exception("beat lock unavailable; not sending periodic tasks")
            held = False
        if held is not self.is_holder:
            logger.warning(
                "beat %s: %s",
                self.holder,
                "holds the beat lock, sending periodic tasks"
                if held
                else "another beat holds the lock; standing by",
            )
        self.is_holder = held
        self._checked_at = time.monotonic()
        return held

    def tick(self, *args, **kwargs):
        wait = self.lock_ttl / 3
        if not self._hold():
            return wait
        return min(super().tick(*args, **kwargs), wait)

    def close(self):
        if self.is_holder:
            try:
                release_lock(name=LOCK_NAME, holder=self.holder)
            except Exception:
                logger.exception("could not release the beat lock")
        super().close()
