"""A process buffer's timer: write what waits once the process goes quiet.

The funnel's events (``paywall.funnel``) and the experiments' exposures
(``paywall.experiments``) wait in a process buffer that the next arrival
writes when it is due. A process that goes quiet would keep them: a
``FlushTimer`` armed when the first item arrives writes them on its own
thread after a while, then gives back that thread's database connections
(connections are per thread). ``at_exit`` writes what is left when the
process stops (a web worker, a Celery worker, beat).
"""

import atexit
import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class FlushTimer:
    """Calls ``flush`` once, ``seconds()`` after ``arm``; ``arm`` again after it fired.

    The buffer calls ``arm`` and ``disarm`` under its own lock; ``flush`` takes
    that lock itself (and may call ``arm`` again for what it could not write)."""

    def __init__(self, flush: Callable[[], object], seconds: Callable[[], float]):
        self._flush = flush
        self._seconds = seconds
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    @property
    def armed(self) -> bool:
        return self._timer is not None

    def arm(self) -> None:
        """Start the timer, unless one is already waiting."""
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self._seconds(), self._fire)
                self._timer.daemon = True
                self._timer.start()

    def disarm(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self._flush()
        finally:
            from django.db import connections

            connections.close_all()


def at_exit(flush: Callable[[], object], what: str) -> None:
    """Write ``what`` is left in a buffer when the process stops."""

    def write() -> None:
        try:
            flush()
        except Exception:  # noqa: BLE001 - the process is going away anyway
            logger.warning("%s lost at exit", what)

    atexit.register(write)
