"""Verifying that a request claiming to be a search crawler really is one.

Off by default (``PAYWALL_CRAWLER_VERIFIER`` empty): every claim is treated as
an anonymous reader. ``reverse_dns_verifier`` is the check search engines
document (reverse DNS of the client address, then forward DNS back to it); it
uses the network, so it is opt-in and cached.
"""

import ipaddress
import socket

from django.core.cache import cache

CRAWLER_DOMAINS = (
    ".googlebot.com",
    ".google.com",
    ".googleusercontent.com",
    ".search.msn.com",
    ".applebot.apple.com",
    ".duckduckgo.com",
)


def deny_all(request) -> bool:
    """The explicit "nobody is verified" verifier."""
    return False


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def reverse_dns_verifier(request, *, resolver=socket) -> bool:
    """True when the client address reverse-resolves to a crawler domain that resolves back."""
    address = client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    cache_key = f"crawler-verified:{address}"
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    verified = False
    try:
        host = resolver.gethostbyaddr(address)[0].lower()
        if host.endswith(CRAWLER_DOMAINS):
            verified = address in resolver.gethostbyname_ex(host)[2]
    except OSError:
        verified = False
    cache.set(cache_key, verified, 24 * 3600)
    return verified
