"""The paywall decision: one function answers "may this reader read this article?".

Every surface that shows article text (page, API, feeds, search, JSON-LD,
meta tags, previews, print, e-mail) asks ``decide`` (or, for the one request
that opens an article, ``access_for_request``) and renders ``visible_body``;
nothing else reads ``Article.body`` for a reader.

Reasons (``AccessDecision.reason``, rendered as ``data-paywall="<reason>"``):

granted
  ``free``          the article is free for everyone
  ``staff``         newsroom staff (``is_staff``) or a staff preview
  ``subscriber``    the reader holds ``premium_content`` (active, trialing,
                    past_due within grace, or canceled but paid up)
  ``registered``    a ``registered`` article and a logged-in reader
  ``metered``       a ``metered`` article within the allowance (or already
                    read this period); ``meter_left`` says what is left
  ``crawler``       a verified search crawler on a ``metered`` article (not
                    counted; the page marks the part ``isAccessibleForFree: false``)
gated (only the teaser leaves the server)
  ``registration_required``      ``registered`` article, anonymous reader
  ``premium_login``              ``premium`` article, anonymous reader
  ``subscription_required``      ``premium`` article, logged in, no plan
  ``upgrade_required``           ``premium`` article, on a plan without premium
  ``meter_exhausted``            ``metered``, anonymous, allowance used up
  ``meter_exhausted_registered`` ``metered``, logged in, allowance used up
  ``meter_preview``              ``metered``, a prefetch/prerender/HEAD request
                                 that must not spend a read (``meter_left`` set)
  ``crawler_unverified``         ``metered``, a bot that is not metered and not
                                 verified: teaser only
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from articles.body import teaser_blocks
from subscriptions.entitlements import entitlements_for
from subscriptions.plans import AD_FREE, PREMIUM_CONTENT

TEASER_PARAGRAPHS = 2

GRANTED_REASONS = ("free", "staff", "subscriber", "registered", "metered", "crawler")
GATED_REASONS = (
    "registration_required",
    "premium_login",
    "subscription_required",
    "upgrade_required",
    "meter_exhausted",
    "meter_exhausted_registered",
    "meter_preview",
    "crawler_unverified",
)

# Outcomes that depend on one reader's meter: never shared between readers.
METER_REASONS = ("metered", "meter_exhausted", "meter_exhausted_registered", "meter_preview")


@dataclass(frozen=True)
class Reader:
    """Who is asking, as far as the paywall cares."""

    user: object | None = None  # an authenticated User, or None
    meter_key: str | None = None  # the anonymous meter id from the signed cookie
    is_crawler: bool = False  # a bot we do not meter
    is_staff_preview: bool = False
    crawler_verified: bool = False  # a search crawler proven by PAYWALL_CRAWLER_VERIFIER
    # A hypothetical reader (editors' preview): these entitlements and a fresh
    # meter, with no database lookup for either.
    preview_entitlements: frozenset[str] | None = None

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and getattr(self.user, "is_authenticated", False))


ANONYMOUS = Reader()


@dataclass(frozen=True)
class AccessDecision:
    granted: bool
    reason: str  # one of GRANTED_REASONS / GATED_REASONS above
    meter_left: int | None = None

    @property
    def gated(self) -> bool:
        return not self.granted

    @property
    def entitled_text(self) -> bool:
        """True when the response carries text not everyone may see (so: private)."""
        return self.granted and self.reason != "free"

    @property
    def cache_variant(self) -> str:
        """What a page cache key must include besides the URL and ``entitlement_class``.

        Two readers of the same entitlement class get the same bytes only when
        this string is equal too: full text or teaser, why, and the meter count
        the gate or the meter notice shows.
        """
        kind = "full" if self.granted else "teaser"
        left = "" if self.meter_left is None else f"-{self.meter_left}"
        return f"{kind}-{self.reason}{left}"


def decide(*, reader: Reader, article, now: datetime | None = None) -> AccessDecision:
    """Whether ``reader`` may read the whole of ``article`` now, and why.

    Never writes: the metered read is recorded by ``access_for_request``.
    """
    now = now or timezone.now()
    level = article.access_level
    if reader.is_staff_preview:
        return AccessDecision(True, "staff")
    if level == "free":
        return AccessDecision(True, "free")
    user = reader.user if reader.is_authenticated else None
    if user is not None and getattr(user, "is_staff", False):
        return AccessDecision(True, "staff")
    if reader.preview_entitlements is not None:
        entitlements = reader.preview_entitlements
    else:
        entitlements = entitlements_for(user, now=now) if user is not None else frozenset()
    if PREMIUM_CONTENT in entitlements:
        return AccessDecision(True, "subscriber")
    if level == "premium":
        if user is None:
            return AccessDecision(False, "premium_login")
        if entitlements:
            return AccessDecision(False, "upgrade_required")
        return AccessDecision(False, "subscription_required")
    if level == "registered":
        if user is not None:
            return AccessDecision(True, "registered")
        return AccessDecision(False, "registration_required")
    # metered
    if reader.is_crawler:
        if reader.crawler_verified:
            return AccessDecision(True, "crawler")
        return AccessDecision(False, "crawler_unverified")
    from .meter import allowance_for, meter_state

    if reader.preview_entitlements is not None:
        return AccessDecision(True, "metered", meter_left=allowance_for(reader) - 1)
    state = meter_state(reader, now)
    if state.has_read(article.pk):
        return AccessDecision(True, "metered", meter_left=state.left)
    if state.left > 0:
        # What will be left once this read is counted.
        return AccessDecision(True, "metered", meter_left=state.left - 1)
    return AccessDecision(
        False, "meter_exhausted_registered" if user is not None else "meter_exhausted", 0
    )


def visible_body(article, decision: AccessDecision) -> str:
    """The body HTML this decision lets leave the server: all of it, or the teaser."""
    if decision.granted:
        return article.body
    return "\n".join(teaser_blocks(article.body, paragraphs=TEASER_PARAGRAPHS))


# --- Request-facing helpers: what views, the API and feeds call ----------------

# Bots we recognise by user agent. Search engines that publish a way to verify
# their crawlers are listed in VERIFIABLE_CRAWLERS: claiming to be one of them
# without proof makes a request an ordinary anonymous reader (metered), since
# anybody can send "Googlebot" in a header.
_BOT_PATTERN = re.compile(
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


def classify_crawler(request) -> tuple[bool, bool]:
    """(is_crawler, verified) for the request's user agent; see VERIFIABLE_CRAWLERS."""
    agent = request.headers.get("User-Agent", "")
    if VERIFIABLE_CRAWLERS.search(agent):
        verifier = crawler_verifier()
        if verifier is not None and verifier(request):
            return True, True
        return False, False  # an unproven claim: an anonymous reader like any other
    if _BOT_PATTERN.search(agent):
        return True, False
    return False, False


def is_speculative(request) -> bool:
    """HEAD, prefetch and prerender requests: the reader has not opened the article."""
    if request.method == "HEAD":
        return True
    purpose = " ".join(
        request.headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Moz", "X-Purpose")
    ).lower()
    return "prefetch" in purpose or "prerender" in purpose or "preview" in purpose


def reader_from_request(request) -> Reader:
    """The Reader behind an HTTP request (the meter key comes from its signed cookie)."""
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    is_crawler, verified = (False, False) if authenticated else classify_crawler(request)
    return Reader(
        user=user if authenticated else None,
        meter_key=getattr(request, "meter_key", None),
        is_crawler=is_crawler,
        crawler_verified=verified,
    )


def access_for_request(request, article, *, now: datetime | None = None) -> AccessDecision:
    """Decide for the reader behind ``request`` and record a metered read if one was granted.

    Pages and API detail endpoints call this; lists, feeds and search call
    ``decide`` with the reader (they show teasers only and never spend the meter).
    A read is counted once per article per period, never for HEAD, prefetch,
    prerender or crawler requests.
    """
    decision = _access_for_request(request, article, now=now or timezone.now())
    if decision.entitled_text or decision.reason in METER_REASONS:
        # MeterCookieMiddleware makes the response private whatever the view sets.
        request.paywall_private = True
    return decision


def _access_for_request(request, article, *, now: datetime) -> AccessDecision:
    reader = reader_from_request(request)
    decision = decide(reader=reader, article=article, now=now)
    if decision.reason != "metered":
        return decision
    from . import meter

    state = meter.meter_state(reader, now)
    if state.has_read(article.pk):
        return decision
    if is_speculative(request):
        return AccessDecision(False, "meter_preview", meter_left=state.left)
    if not reader.is_authenticated and not reader.meter_key:
        # First metered read of a new visitor: issue the meter id now (the
        # middleware sets the cookie), not on every page, so shared pages stay cacheable.
        key = meter.new_anonymous_key()
        request.meter_key = key
        request.meter_cookie_value = key
        reader = Reader(meter_key=key)
    outcome = meter.meter_consume(reader=reader, article=article, now=now)
    if outcome.granted:
        return AccessDecision(True, "metered", meter_left=outcome.left)
    return AccessDecision(
        False, "meter_exhausted_registered" if reader.is_authenticated else "meter_exhausted", 0
    )


def entitlement_class(request) -> str:
    """What a cached page may vary by: never the reader, only what they may see.

    One of ``anonymous``, ``registered``, ``ad_free``, ``premium``. For metered
    articles the outcome differs inside a class: key the cache on
    ``decision.cache_variant`` as well (see ``AccessDecision.cache_variant``).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return entitlement_class_of(entitlements_for(user))


def entitlement_class_of(entitlements: frozenset[str]) -> str:
    """The class a signed-in reader with these entitlements belongs to."""
    if PREMIUM_CONTENT in entitlements:
        return "premium"
    if AD_FREE in entitlements:
        return "ad_free"
    return "registered"


class _KnownReader:
    """A signed-in account as ``decide`` sees it, when only its flags are at hand."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, *, pk: int | None, is_staff: bool):
        self.pk = self.id = pk
        self.is_staff = is_staff


def decide_without_meter(
    *,
    article,
    entitlements: frozenset[str],
    authenticated: bool,
    is_staff: bool = False,
    user_id: int | None = None,
    now: datetime | None = None,
) -> AccessDecision | None:
    """``decide`` for a reader whose entitlements are already known, or None when
    the meter would have to be asked (a ``metered`` article and a reader whom
    neither staff status nor ``premium_content`` lets through).

    The same decision as ``decide`` in every other case: it *is* ``decide``,
    with the entitlements handed over instead of looked up. Used by the page
    cache's fast path, which knows a reader's entitlements from the cache.
    """
    if (
        article.access_level == "metered"
        and not (authenticated and is_staff)
        and PREMIUM_CONTENT not in entitlements
    ):
        return None
    user = _KnownReader(pk=user_id, is_staff=is_staff) if authenticated else None
    reader = Reader(user=user, preview_entitlements=frozenset(entitlements))
    return decide(reader=reader, article=article, now=now)


def cache_control_for(decision: AccessDecision) -> str:
    """The ``Cache-Control`` value for a response rendered from ``decision``.

    Text only entitled readers may see (anything granted except a free
    article), and every metered outcome (it depends on this reader's meter),
    is ``private``: no shared cache may keep it. Free articles and teasers of
    registration/premium gates are the same for everyone and may be shared.
    """
    if decision.entitled_text or decision.reason in METER_REASONS:
        return "private, no-cache"
    return "public, max-age=60"


def apply_cache_control(response, decision: AccessDecision, *, request=None):
    """Set ``Cache-Control`` from ``decision``; a logged-in reader's page is always private."""
    value = cache_control_for(decision)
    user = getattr(request, "user", None) if request is not None else None
    if user is not None and user.is_authenticated:
        value = "private, no-cache"
    response["Cache-Control"] = value
    return response
