"""Crawlers and speculative requests: who is not a reader opening an article.

``classify`` names a request's crawler kind from its user agent. Search
engines that publish a way to verify their crawlers are listed in
``VERIFIABLE_CRAWLERS``: claiming to be one of them without proof makes a
request an ordinary anonymous reader (metered), since anybody can send
"Googlebot" in a header. Verification is off by default
(``PAYWALL_CRAWLER_VERIFIER`` empty): every claim is treated as an anonymous
reader. ``reverse_dns_verifier`` is the check search engines
document (reverse DNS of the client address, then forward DNS back to it); it
uses the network, so it is opt-in and cached.
"""

import ipaddress
import re
import socket

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

from .rights import Crawler

# Bots we recognise by user agent.
BOT_PATTERN = re.compile(
    r"bot\b|crawl|spider|slurp|facebookexternalhit|embedly|preview|curl/|wget/|python-requests",
    re.IGNORECASE,
)
VERIFIABLE_CRAWLERS = re.compile(
    r"googlebot|google-inspectiontool|bingbot|applebot|duckduckbot", re.IGNORECASE
)


def crawler_verifier():
    """The configured verification callable (request -> bool), or None (deny everyone)."""
    path = getattr(settings, "PAYWALL_CRAWLER_VERIFIER", "")
    return import_string(path) if path else None


def classify(request) -> Crawler:
    """The crawler kind of an (anonymous) request, from its user agent."""
    agent = request.headers.get("User-Agent", "")
    if VERIFIABLE_CRAWLERS.search(agent):
        verifier = crawler_verifier()
        if verifier is not None and verifier(request):
            return Crawler.VERIFIED
        return Crawler.NONE  # an unproven claim: an anonymous reader like any other
    if BOT_PATTERN.search(agent):
        return Crawler.UNVERIFIED
    return Crawler.NONE


def is_speculative(request) -> bool:
    """HEAD, prefetch and prerender requests: the reader has not opened the article."""
    if request.method not in ("GET", "POST"):
        return True
    purpose = " ".join(
        request.headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Moz", "X-Purpose")
    ).lower()
    return "prefetch" in purpose or "prerender" in purpose or "preview" in purpose


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
