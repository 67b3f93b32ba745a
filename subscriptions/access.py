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
from .plans import PREMIUM_CONTENT

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
