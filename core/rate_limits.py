"""Counting requests in a fixed window, in the Django cache (the one rate-limit rule).

The JSON API's throttle (``newsroom.ratelimit``) and the desk's editor
endpoints (``desk.editor_endpoints``) both count here. Redis makes the count
shared by every web process and atomic (``incr``); with the local-memory cache
of the embedded demo each process counts for itself. A cache outage lets the
request through rather than take the site down.
"""

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed


def rate_hit(key: str, *, limit: int, period: int = WINDOW_SECONDS, now=None) -> RateDecision:
    """Count one request for ``key``; refuse it once ``limit`` is passed in this window."""
    now = time.time() if now is None else now
    window = int(now // period)
    cache_key = f"ratelimit:{key}:{window}"
    try:
        count = _count(cache_key, timeout=period + 1)
    except Exception:  # noqa: BLE001 - a cache outage must not take the API down
        logger.warning("rate limit cache unavailable; letting %s through", key, exc_info=True)
        return RateDecision(True, 0)
    if count <= limit:
        return RateDecision(True, 0)
    return RateDecision(False, max(1, math.ceil((window + 1) * period - now)))


def _count(key: str, *, timeout: int) -> int:
    """One more request for ``key``: one round trip on Redis
    (``newsroom.cache_backends``), ``add`` and ``incr`` on other caches."""
    count_hit = getattr(cache, "count_hit", None)
    if count_hit is not None:
        count = count_hit(key, timeout=timeout)
        return 1 if count is None else count  # Redis is down: let it through
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
