"""What a reader may do, answered once per request: ``ReaderRights``.

The paywall never looks up accounts or plans itself. Whoever knows the
reader (``subscriptions.rights`` for a request, the page cache's fast path
for a cached account record, the staff preview for a hypothetical reader)
builds one ``ReaderRights`` from the reader's entitlements, and every surface
asks the policy with it.
"""

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

# Entitlement names: what a plan can grant (``subscriptions.plans`` lists them
# for staff; the paywall is the one that gives them meaning).
AD_FREE = "ad_free"
PREMIUM_CONTENT = "premium_content"
EPAPER = "epaper"
ALL_ENTITLEMENTS = (AD_FREE, PREMIUM_CONTENT, EPAPER)


class AccessLevel(models.TextChoices):
    """An article's access level (``Article.access_level`` uses these values)."""

    FREE = "free", _("Free")
    REGISTERED = "registered", _("Registered readers")
    METERED = "metered", _("Metered")
    PREMIUM = "premium", _("Premium")


class CacheClass(models.TextChoices):
    """The only thing about a reader a shared page cache may vary on."""

    ANONYMOUS = "anonymous"
    REGISTERED = "registered"
    AD_FREE = "ad_free"
    PREMIUM = "premium"


class Crawler(models.TextChoices):
    NONE = "none"  # a person (or a bot we cannot tell from one)
    VERIFIED = "verified"  # a search crawler proven by ``PAYWALL_CRAWLER_VERIFIER``
    UNVERIFIED = "unverified"  # a bot by its user agent, not verified: teaser only


@dataclass(frozen=True)
class ReaderRights:
    """Who is asking, as far as the paywall cares. Build it once per request."""

    authenticated: bool = False
    user_id: int | None = None
    is_staff: bool = False
    entitlements: frozenset[str] = field(default_factory=frozenset)
    meter_key: str | None = None  # the anonymous meter id from the signed cookie
    crawler: Crawler = Crawler.NONE
    # A hypothetical reader of a staff preview: a fresh meter, nothing recorded.
    hypothetical: bool = False
    # Experiments (``paywall.experiments``) bucket a signed-in reader by the
    # meter id their browser still carries (``browser_key``), so signing in
    # keeps the arm; ``arm_pin`` is (experiment id, arm key) when the account
    # was already exposed (on another device): the session carries it from sign-in.
    browser_key: str | None = None
    arm_pin: tuple[int, str] | None = None

    @property
    def levels(self) -> frozenset[str]:
        """Access levels this reader may read in full outright (no meter spent)."""
        if self.is_staff or PREMIUM_CONTENT in self.entitlements:
            return frozenset(AccessLevel.values)
        if self.authenticated:
            return frozenset({AccessLevel.FREE, AccessLevel.REGISTERED})
        return frozenset({AccessLevel.FREE})

    @property
    def search_levels(self) -> frozenset[str]:
        """Access levels whose body text this reader may search: the outright ones.

        A meter grant is spent reading one article, not searching many.
        """
        return self.levels

    @property
    def searches_as_class(self) -> bool:
        """Whether this reader's search results (which bodies are searched, which
        snippets come from the whole text) are everyone's in their cache class,
        so a cached results page may be shared with the class. Staff search every
        level's body text, which their class (registered, ad-free) may not read."""
        return not self.is_staff

    @property
    def sees_ads(self) -> bool:
        return AD_FREE not in self.entitlements

    @property
    def cache_class(self) -> CacheClass:
        if not self.authenticated:
            return CacheClass.ANONYMOUS
        if PREMIUM_CONTENT in self.entitlements:
            return CacheClass.PREMIUM
        if AD_FREE in self.entitlements:
            return CacheClass.AD_FREE
        return CacheClass.REGISTERED


ANONYMOUS = ReaderRights()


def signed_in(
    *,
    user_id: int | None,
    entitlements,
    is_staff: bool = False,
    hypothetical: bool = False,
    browser_key: str | None = None,
    arm_pin: tuple[int, str] | None = None,
) -> ReaderRights:
    """The rights of a signed-in reader whose entitlements are known."""
    return ReaderRights(
        authenticated=True,
        user_id=user_id,
        is_staff=is_staff,
        entitlements=frozenset(entitlements),
        hypothetical=hypothetical,
        browser_key=browser_key,
        arm_pin=tuple(arm_pin) if arm_pin else None,
    )
