"""The paywall decision: one function answers "may this reader read this article here?".

Every surface that can show article text asks ``decide`` with the reader's
``ReaderRights``, the article and the ``Surface``, and renders what the
decision lets through (``articles.body.visible_body``): the HTML page, print,
the API, feeds, search results, JSON-LD and meta tags, previews and e-mail.
``paywall.reading.open_article`` is the one caller that also spends a meter
read, for the request that opens an article. ``paywall.cache_policy`` turns a
decision into cache headers and the page cache's variant key.

``decide`` is pure: it reads no database and writes nothing. A metered
article on a reading surface needs the reader's meter (``MeterView``).

Surfaces:
  reading surfaces (``page``, ``print``, ``api``, ``preview``): the article
      itself; a metered article spends a read there.
  teaser surfaces (``feed``, ``search``, ``list``, ``email``): lists of many
      articles; they show the full text only where the reader may read it
      outright (free, registered for a signed-in reader, everything for a
      subscriber or staff), never a meter grant or a crawler grant.
  ``structured_data``: JSON-LD and meta tags, which describe the article to
      everyone: granted only for a free article.

Reasons (``AccessDecision.reason``, rendered as ``data-paywall="<reason>"``)
are ``Reason``; see its members.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from .rights import PREMIUM_CONTENT, AccessLevel, Crawler, ReaderRights
from .rules import OverrideKind, PaywallRules, current_rules


class Surface(models.TextChoices):
    PAGE = "page"
    PRINT = "print"
    API = "api"
    PREVIEW = "preview"
    FEED = "feed"
    SEARCH = "search"
    LIST = "list"
    EMAIL = "email"
    STRUCTURED_DATA = "structured_data"


READING_SURFACES = frozenset({Surface.PAGE, Surface.PRINT, Surface.API, Surface.PREVIEW})


class Reason(models.TextChoices):
    # Granted: the whole article leaves the server.
    FREE = "free"  # free for everyone
    STAFF = "staff"  # newsroom staff
    SUBSCRIBER = "subscriber"  # holds premium_content
    REGISTERED = "registered"  # a registered article and a signed-in reader
    METERED = "metered"  # within the allowance, or already read this period
    CRAWLER = "crawler"  # a verified search crawler on a metered article
    # Gated: only the teaser leaves the server.
    REGISTRATION_REQUIRED = "registration_required"  # registered article, anonymous
    PREMIUM_LOGIN = "premium_login"  # premium article, anonymous
    SUBSCRIPTION_REQUIRED = "subscription_required"  # premium, signed in, no plan
    UPGRADE_REQUIRED = "upgrade_required"  # premium, on a plan without premium
    METER_EXHAUSTED = "meter_exhausted"  # metered, anonymous, allowance used up
    METER_EXHAUSTED_REGISTERED = "meter_exhausted_registered"  # metered, signed in, used up
    METER_PREVIEW = "meter_preview"  # metered, a HEAD/prefetch that must not spend a read
    CRAWLER_UNVERIFIED = "crawler_unverified"  # metered, a bot we do not meter: teaser
    COOKIE_REQUIRED = "cookie_required"  # metered, no meter cookie yet (rule ``teaser``)
    TEASER_ONLY = "teaser_only"  # a teaser surface: reads are spent on the article itself


GRANTED_REASONS = frozenset(
    {
        Reason.FREE,
        Reason.STAFF,
        Reason.SUBSCRIBER,
        Reason.REGISTERED,
        Reason.METERED,
        Reason.CRAWLER,
    }
)
# Outcomes that depend on one reader's meter or on being a crawler: never shared.
PER_READER_REASONS = frozenset(
    {
        Reason.METERED,
        Reason.METER_EXHAUSTED,
        Reason.METER_EXHAUSTED_REGISTERED,
        Reason.METER_PREVIEW,
        Reason.CRAWLER,
        Reason.CRAWLER_UNVERIFIED,
        Reason.COOKIE_REQUIRED,
    }
)


@dataclass(frozen=True)
class ArticleFacts:
    """What the policy reads of an article, when no model instance is at hand
    (the page cache keeps these in its entry). An ``Article`` works as well: it
    has the same attributes (``section_slug`` and ``topic_slugs`` are properties).

    ``access_level`` is the level the editors chose; the rules' overrides may
    change it (``effective_level``), which is why the section, the topics and
    the publication time are here.
    """

    pk: int
    access_level: str
    section_slug: str = ""
    topic_slugs: frozenset[str] = frozenset()
    published_at: datetime | None = None


def effective_level(article, *, rules: PaywallRules, now: datetime) -> str:
    """The access level ``article`` has under ``rules`` at ``now``.

    Checked in this order (the first two decide outright; 3 feeds 4):
    1. a ``free`` override of its section or a topic: free, whatever else
       applies (the crisis switch);
    2. an ``archive_wall`` override, once the article is that many days old:
       premium;
    3. a premium article younger than ``premium_metered_hours``: metered;
    4. a ``registration_only`` override: a free or metered article is
       registered (a premium one stays premium: it opens nothing that is sold);
    5. otherwise the article's own level.
    Section and topic facts are read only when the rules have overrides of
    that kind (a model instance may query its topics).
    """
    level = article.access_level
    if not rules.overrides and not rules.premium_metered_hours:
        return level
    age = now - (article.published_at or now)
    kinds: set[str] = set()
    if rules.overrides:
        section = article.section_slug if rules.needs_section else ""
        topics = article.topic_slugs if rules.needs_topics else frozenset()
        for override in rules.overrides:
            if override.applies_to(section_slug=section, topic_slugs=topics):
                if override.kind == OverrideKind.ARCHIVE_WALL:
                    if age >= timedelta(days=override.days):
                        kinds.add(OverrideKind.ARCHIVE_WALL)
                else:
                    kinds.add(override.kind)
    if OverrideKind.FREE in kinds:
        return AccessLevel.FREE
    if OverrideKind.ARCHIVE_WALL in kinds:
        return AccessLevel.PREMIUM
    if (
        level == AccessLevel.PREMIUM
        and rules.premium_metered_hours
        and age < timedelta(hours=rules.premium_metered_hours)
    ):
        level = AccessLevel.METERED
    if OverrideKind.REGISTRATION_ONLY in kinds and level in (
        AccessLevel.FREE,
        AccessLevel.METERED,
    ):
        return AccessLevel.REGISTERED
    return level


def stored_levels(levels, *, rules: PaywallRules) -> frozenset[str]:
    """The levels an article's editors may have given it (``access_level``)
    when its effective level under ``rules`` (``effective_level``) is one of
    ``levels``: those levels, and every level the rules can turn into one of
    them (any level, where a ``free`` override or an archive wall leads there).

    A filter on the stored level can use an index; the effective level is an
    expression of the rules. A search narrows its scan of body words with this
    set, then tests each row's effective level."""
    wanted = frozenset(levels)
    kinds = {override.kind for override in rules.overrides}
    if (AccessLevel.FREE in wanted and OverrideKind.FREE in kinds) or (
        AccessLevel.PREMIUM in wanted and OverrideKind.ARCHIVE_WALL in kinds
    ):
        return frozenset(AccessLevel.values)
    found = set(wanted)
    if AccessLevel.METERED in wanted and rules.premium_metered_hours:
        found.add(AccessLevel.PREMIUM)  # a young premium article
    if AccessLevel.REGISTERED in wanted and OverrideKind.REGISTRATION_ONLY in kinds:
        found |= {AccessLevel.FREE, AccessLevel.METERED}
        if rules.premium_metered_hours:
            found.add(AccessLevel.PREMIUM)  # metered while young, then registered
    return frozenset(found)


@dataclass(frozen=True)
class MeterView:
    """The reader's meter this period: what is left, and what was read."""

    left: int
    read_ids: frozenset[int] = frozenset()

    def has_read(self, article_id) -> bool:
        return article_id in self.read_ids


@dataclass(frozen=True)
class AccessDecision:
    granted: bool
    reason: Reason
    meter_left: int | None = None
    teaser_blocks: int = 2
    rules_version: str = ""  # the rules it was decided under
    # The experiment arm whose rules decided (``paywall.experiments``); "" outside one.
    experiment_id: int | None = None
    arm: str = ""

    @property
    def gated(self) -> bool:
        return not self.granted

    @property
    def entitled_text(self) -> bool:
        """True when the response carries text not everyone may see."""
        return self.granted and self.reason != Reason.FREE

    @property
    def per_reader(self) -> bool:
        """True when another reader of the same cache class could get another answer
        (an experiment arm's rules are some readers' only)."""
        return self.entitled_text or self.reason in PER_READER_REASONS or bool(self.arm)

    @property
    def cache_variant(self) -> str:
        """What a page cache key needs besides the URL and the reader's cache class:
        full text or teaser, why, the meter count the gate or notice shows, and
        the rules version (a cached page never outlives a rule change)."""
        kind = "full" if self.granted else "teaser"
        left = "" if self.meter_left is None else f"-{self.meter_left}"
        return f"{kind}-{self.reason}{left}@{self.rules_version}"


def make_decision(
    granted: bool, reason: Reason, rules: PaywallRules, meter_left: int | None = None
):
    """An ``AccessDecision`` under ``rules`` (their teaser length and version)."""
    return AccessDecision(
        granted,
        reason,
        meter_left,
        rules.teaser_blocks,
        rules.version,
        rules.experiment_id,
        rules.arm,
    )


def _granted(reason: Reason, rules: PaywallRules, meter_left: int | None = None):
    return make_decision(True, reason, rules, meter_left)


def _gated(reason: Reason, rules: PaywallRules, meter_left: int | None = None):
    return make_decision(False, reason, rules, meter_left)


def decide(
    *,
    rights: ReaderRights,
    article,
    surface: Surface,
    meter: MeterView | None = None,
    rules: PaywallRules | None = None,
    now: datetime | None = None,
) -> AccessDecision:
    """Whether this reader may read the whole of ``article`` on ``surface``, and why.

    ``article`` is an ``Article`` or ``ArticleFacts``; its level is the
    effective one under ``rules`` at ``now`` (``effective_level``). ``meter``
    is needed only for a metered article on a reading surface, for a reader
    who is not entitled outright: a granted ``metered`` decision for an
    article not yet in ``meter.read_ids`` means "grant, once the read is
    counted" (``paywall.reading`` counts it). Pure but for the defaults: the
    clock and ``current_rules()`` when not given.
    """
    now = now or timezone.now()
    rules = rules or current_rules(now=now, rights=rights)
    level = effective_level(article, rules=rules, now=now)
    if level == AccessLevel.FREE:
        return _granted(Reason.FREE, rules)
    if surface == Surface.STRUCTURED_DATA:
        # Describes the article to everyone: only a free article is free.
        return _gated(_gate_reason(rights, level), rules)
    if level in rights.levels:
        if rights.is_staff:
            return _granted(Reason.STAFF, rules)
        if PREMIUM_CONTENT in rights.entitlements:
            return _granted(Reason.SUBSCRIBER, rules)
        return _granted(Reason.REGISTERED, rules)
    if level != AccessLevel.METERED:
        return _gated(_gate_reason(rights, level), rules)
    # A metered article the reader is not entitled to outright.
    if surface not in READING_SURFACES:
        return _gated(Reason.TEASER_ONLY, rules)
    if rights.crawler == Crawler.VERIFIED:
        return _granted(Reason.CRAWLER, rules)
    if rights.crawler == Crawler.UNVERIFIED:
        return _gated(Reason.CRAWLER_UNVERIFIED, rules)
    if meter is None:
        raise ValueError("a metered article on a reading surface needs the reader's meter")
    if meter.has_read(article.pk):
        return _granted(Reason.METERED, rules, meter.left)
    if meter.left > 0:
        return _granted(Reason.METERED, rules, meter.left - 1)  # what is left once counted
    exhausted = (
        Reason.METER_EXHAUSTED_REGISTERED if rights.authenticated else Reason.METER_EXHAUSTED
    )
    return _gated(exhausted, rules, 0)


def _gate_reason(rights: ReaderRights, level: str) -> Reason:
    """Why a reader who is not entitled to ``level`` outright is gated."""
    if level == AccessLevel.REGISTERED:
        return Reason.REGISTRATION_REQUIRED
    if level == AccessLevel.PREMIUM:
        if not rights.authenticated:
            return Reason.PREMIUM_LOGIN
        return Reason.UPGRADE_REQUIRED if rights.entitlements else Reason.SUBSCRIPTION_REQUIRED
    return Reason.TEASER_ONLY


def fresh_meter(rights: ReaderRights, *, rules: PaywallRules | None = None) -> MeterView:
    """A meter with nothing read (a hypothetical reader's, in a staff preview)."""
    rules = rules or current_rules(rights=rights)
    return MeterView(left=rules.allowance_for(authenticated=rights.authenticated))
