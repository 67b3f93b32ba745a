"""Request rate limits for the JSON API, counted in the Django cache.

A fixed one-minute window per client: the client address for anonymous
callers, the token (or the session's user) for authenticated ones. Redis
makes the count shared by every web process and atomic (``incr``); with the
local-memory cache of the embedded demo each process counts for itself.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from ninja.throttling import BaseThrottle

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
        cache.add(cache_key, 0, timeout=period + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the key expired between add and incr
            cache.set(cache_key, 1, timeout=period + 1)
            count = 1
    except Exception:  # noqa: BLE001 - a cache outage must not take the API down
        logger.warning("rate limit cache unavailable; letting %s through", key, exc_info=True)
        return RateDecision(True, 0)
    if count <= limit:
        return RateDecision(True, 0)
    return RateDecision(False, max(1, math.ceil((window + 1) * period - now)))


def client_key(request) -> tuple[str, int]:
    """Who is counted, and their per-minute limit."""
    token = getattr(request, "api_token", None)
    if token is not None:
        return f"token:{token.pk}", settings.API_RATE_AUTHENTICATED
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", settings.API_RATE_AUTHENTICATED
    # REMOTE_ADDR, not X-Forwarded-For: a client could invent a new address per
    # request. Behind a proxy, set NINJA_NUM_PROXIES and ninja picks the right hop.
    from ninja.conf import settings as ninja_settings

    if ninja_settings.NUM_PROXIES is not None:
        address = BaseThrottle().get_ident(request)
    else:
        address = request.META.get("REMOTE_ADDR", "")
    return f"ip:{address}", settings.API_RATE_ANONYMOUS


class ApiRateLimit(BaseThrottle):
    """ninja throttle: runs after authentication, so tokens are counted as tokens."""

    _local = threading.local()  # ninja asks wait() right after allow_request()

    def allow_request(self, request) -> bool:
        key, limit = client_key(request)
        decision = rate_hit(key, limit=limit)
        self._local.retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return getattr(self._local, "retry_after", None) or None
