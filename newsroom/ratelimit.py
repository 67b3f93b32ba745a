"""Request rate limits for the JSON API, counted in the Django cache.

A fixed one-minute window per client: the client address for anonymous
callers, the token (or the session's user) for authenticated ones. Redis
makes the count shared by every web process and atomic (``incr``); with the
local-memory cache of the embedded demo each process counts for itself.
"""

import threading

from django.conf import settings
from ninja.throttling import BaseThrottle

from core.rate_limits import WINDOW_SECONDS, RateDecision, rate_hit

__all__ = ["WINDOW_SECONDS", "ApiRateLimit", "RateDecision", "client_key", "rate_hit"]


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
