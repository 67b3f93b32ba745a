"""Counting new meter ids per network, for readers who never return the meter cookie.

The count lives in the cache (Redis in production) under one key per network
and day; it is a rate, not a record, so losing it (Redis restarting) only
resets the day's count.
"""

import ipaddress
from datetime import datetime

from django.core.cache import cache

from .crawlers import client_ip

DAY = 24 * 3600


def network_of(request) -> str:
    """The client's network: its IPv4 address, or the /64 of an IPv6 address."""
    raw = client_ip(request)
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def admit_new_meter(request, *, allowance: int, now: datetime) -> bool:
    """Count one new meter id for the request's network; False once past ``allowance`` today."""
    key = f"paywall:new-meters:{network_of(request)}:{now:%Y%m%d}"
    cache.add(key, 0, timeout=DAY)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=DAY)
        count = 1
    return count <= allowance
