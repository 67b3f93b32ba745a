"""The paywall decision: one function answers "may this reader read this article?".

Every surface that shows article text (page, API, feeds, search, JSON-LD,
meta tags, previews, print, e-mail) asks ``decide`` and renders
``visible_body``; nothing else reads ``Article.body`` for a reader.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from articles.body import teaser_blocks

from .entitlements import entitlements_for
from .plans import AD_FREE, PREMIUM_CONTENT

TEASER_PARAGRAPHS = 2


@dataclass(frozen=True)
class Reader:
    """Who is asking, as far as the paywall cares."""

    user: object | None = None  # an authenticated User, or None
    meter_key: str | None = None  # the anonymous meter id from the signed cookie
    is_crawler: bool = False
    is_staff_preview: bool = False

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and getattr(self.user, "is_authenticated", False))


ANONYMOUS = Reader()


@dataclass(frozen=True)
class AccessDecision:
    granted: bool
    reason: str  # free, registered, subscriber, metered, staff, registration_required, ...
    meter_left: int | None = None

    @property
    def gated(self) -> bool:
        return not self.granted


def decide(*, reader: Reader, article, now: datetime | None = None) -> AccessDecision:
    """Whether ``reader`` may read the whole of ``article`` now, and why."""
    now = now or timezone.now()
    level = article.access_level
    if reader.is_staff_preview:
        return AccessDecision(True, "staff")
    if level == "free":
        return AccessDecision(True, "free")
    entitlements = entitlements_for(reader.user) if reader.is_authenticated else frozenset()
    if PREMIUM_CONTENT in entitlements:
        return AccessDecision(True, "subscriber")
    if level == "premium":
        return AccessDecision(
            False, "subscription_required" if reader.is_authenticated else "premium_login"
        )
    if level == "registered":
        if reader.is_authenticated:
            return AccessDecision(True, "registered")
        return AccessDecision(False, "registration_required")
    # metered: the meter (subscriptions.meter) decides; without it, gate.
    return AccessDecision(False, "meter_exhausted", meter_left=0)


def visible_body(article, decision: AccessDecision) -> str:
    """The body HTML this decision lets leave the server: all of it, or the teaser."""
    if decision.granted:
        return article.body
    return "\n".join(teaser_blocks(article.body, paragraphs=TEASER_PARAGRAPHS))


# --- Request-facing helpers: what views, the API and feeds call ----------------


def reader_from_request(request) -> Reader:
    """The Reader behind an HTTP request (the meter key comes from its signed cookie)."""
    user = getattr(request, "user", None)
    return Reader(user=user if user is not None and user.is_authenticated else None)


def access_for_request(request, article, *, now: datetime | None = None) -> AccessDecision:
    """Decide for the reader behind ``request`` and record a metered read if one was granted.

    Pages and API detail endpoints call this; lists, feeds and search call
    ``decide`` with the reader (they show teasers only and never spend the meter).
    """
    return decide(reader=reader_from_request(request), article=article, now=now)


def entitlement_class(request) -> str:
    """What a cached page may vary by: never the reader, only what they may see.

    One of ``anonymous``, ``registered``, ``ad_free``, ``premium``.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    entitlements = entitlements_for(user)
    if PREMIUM_CONTENT in entitlements:
        return "premium"
    if AD_FREE in entitlements:
        return "ad_free"
    return "registered"
