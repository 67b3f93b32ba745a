"""The paywall's rules: allowances, the meter period, the teaser length, what
readers who never return the meter cookie get, and the section, topic and age
overrides of an article's access level.

They are data the business changes without a deploy: each change is a new
``RuleSet`` row (a version: who, why, from when; ``paywall.rulesets`` writes
them, the admin is ``paywall.admin``). ``current_rules()`` answers the version
in force now (the latest ``effective_from`` not in the future) as a frozen
``PaywallRules``; before anyone saved a version, the settings defaults
(``PAYWALL_METER_ANONYMOUS``, ``PAYWALL_METER_REGISTERED``,
``PAYWALL_TEASER_BLOCKS``, ``PAYWALL_COOKIELESS``, ``PAYWALL_NETWORK_NEW_METERS``).

Caching: the answer is kept in the cache under a generation token, read with
one ``get_many`` and no SQL. Saving a version (or an override) bumps the
token, now and again after commit, so a request that loaded the old rows
between the two cannot keep them. A version scheduled for later makes the
cached answer expire at its ``effective_from``. ``PaywallRules.version``
names the rules: the page cache's variant carries it (``AccessDecision.
cache_variant``), so no cached page outlives a rule change.

The running experiment (``paywall.experiments``) is part of the same cached
answer: starting, stopping or promoting one bumps the same token, and
``current_rules(rights=...)`` answers the reader's arm from it.
"""

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Cookieless(models.TextChoices):
    """What a reader whose browser never returns the meter cookie gets.

    Such a client looks like a new visitor on every request, so each metered
    article would be its "first" read. The options, and their cost:

    ``network`` (default): new meter ids are counted per network (the client
        address; an IPv6 /64) per day in the cache; past
        ``network_allowance`` a new id starts the period with nothing left.
        Honest readers are never affected unless thousands of new visitors
        share one address in a day: Indonesian mobile carriers put many
        subscribers behind one carrier-grade NAT address, so the allowance is
        high, and a blocked newcomer can still register for the registered
        allowance.
    ``teaser``: a visitor without the cookie gets the teaser and the cookie;
        the full text comes with the next request that returns it (one extra
        click for every genuinely new reader).
    ``free``: no defence: cookie-less clients read every metered article.
    """

    NETWORK = "network", _("Count new meter ids per network")
    TEASER = "teaser", _("Teaser until the cookie comes back")
    FREE = "free", _("Free (no defence)")


class Period(models.TextChoices):
    """The window a meter counts reads in, on the newsroom's clock (``TIME_ZONE``).

    ``calendar_month``: from the first of the month; the allowance comes back at
        local midnight on the first.
    ``rolling_days``: the last N days, today included: a read leaves the window
        at local midnight N days after its day (day-grained, so a reader's meter
        changes only at midnight and with their own reads).
    """

    CALENDAR_MONTH = "calendar_month", _("Calendar month")
    ROLLING_DAYS = "rolling_days", _("Rolling N days")


class OverrideTarget(models.TextChoices):
    SECTION = "section", _("Section")
    TOPIC = "topic", _("Topic")


class OverrideKind(models.TextChoices):
    """What an override does to the articles of its section or topic.

    ``free``: free for everyone (the crisis switch).
    ``archive_wall``: premium once ``days`` old (the archive is for subscribers).
    ``registration_only``: a free or metered article needs a free account.
    """

    FREE = "free", _("Free for everyone")
    ARCHIVE_WALL = "archive_wall", _("Premium after N days (archive wall)")
    REGISTRATION_ONLY = "registration_only", _("Always registration-only")


@dataclass(frozen=True)
class Override:
    """One section's or topic's override. Targets are slugs, not foreign keys:
    the paywall stays independent of the content models, and a version in the
    history says what it meant even after the section is gone."""

    target: OverrideTarget
    slug: str
    kind: OverrideKind
    days: int | None = None  # archive wall: premium from this age on

    def applies_to(self, *, section_slug: str, topic_slugs) -> bool:
        if self.target == OverrideTarget.SECTION:
            return self.slug == section_slug
        return self.slug in topic_slugs


@dataclass(frozen=True)
class PaywallRules:
    anonymous_allowance: int
    registered_allowance: int
    teaser_blocks: int
    cookieless: Cookieless = Cookieless.NETWORK
    network_allowance: int = 1000  # new meter ids per network per day
    period: Period = Period.CALENDAR_MONTH
    period_days: int | None = None  # rolling_days only
    # Premium articles are metered for their first N hours (None: never).
    premium_metered_hours: int | None = None
    overrides: tuple[Override, ...] = ()
    version: str = "settings"
    # An experiment arm's rules (``paywall.experiments``): which experiment and
    # arm; their ``version`` names the arm too, so cached pages separate arms.
    experiment_id: int | None = None
    arm: str = ""

    def allowance_for(self, *, authenticated: bool) -> int:
        return self.registered_allowance if authenticated else self.anonymous_allowance

    @property
    def from_settings(self) -> bool:
        """The settings defaults (no version saved yet)."""
        return self.version.startswith("s")

    @property
    def needs_section(self) -> bool:
        return any(o.target == OverrideTarget.SECTION for o in self.overrides)

    @property
    def needs_topics(self) -> bool:
        return any(o.target == OverrideTarget.TOPIC for o in self.overrides)


def settings_rules() -> PaywallRules:
    """The defaults, from settings: the rules before any version was saved.

    Made once per process for each set of those settings' values (``_rules_of``):
    building and naming them cost 26 µs, and a site without a saved version asks
    for them on every request, cache hits included."""
    return _rules_of(
        settings.PAYWALL_METER_ANONYMOUS,
        settings.PAYWALL_METER_REGISTERED,
        getattr(settings, "PAYWALL_TEASER_BLOCKS", 2),
        getattr(settings, "PAYWALL_COOKIELESS", Cookieless.NETWORK),
        getattr(settings, "PAYWALL_NETWORK_NEW_METERS", 1000),
    )


@functools.lru_cache(maxsize=16)
def _rules_of(anonymous, registered, teaser_blocks, cookieless, network) -> PaywallRules:
    rules = PaywallRules(
        anonymous_allowance=anonymous,
        registered_allowance=registered,
        teaser_blocks=teaser_blocks,
        cookieless=Cookieless(cookieless),
        network_allowance=network,
    )
    # The version names the values, so pages cached under other settings (an
    # earlier deploy) are never served under these.
    digest = hashlib.sha256(repr(rules).encode()).hexdigest()[:8]
    return replace(rules, version=f"s{digest}")


# --- The rules in force, cached ------------------------------------------------------

GEN_KEY = "paywall:rules:gen"
RULES_KEY = "paywall:rules"
SECONDS = 600  # a safety net: every change bumps the generation anyway


# Each process keeps the answer for at most a second: a page-cache hit then
# costs no round trip for the rules. A version saved in this process is seen
# at once (``forget_rules``); one saved elsewhere within a second, since every
# process reads the generation again that often. The version is part of every
# cached page's variant, so no process serves a page decided under other rules
# than the ones it holds.
LOCAL_SECONDS = 1.0
_local: dict = {}


def current_rules(*, now: datetime | None = None, rights=None) -> PaywallRules:
    """The rules in force at ``now``: no round trip within a second of the last
    look in this process, one cache round trip after that, SQL only on a miss.

    With ``rights`` (the reader's ``ReaderRights``) and an experiment running,
    the rules of the reader's arm (``paywall.experiments``): the running
    experiment travels in the same cached blob, so this costs a hash, no
    round trip more. Callers deciding for a reader pass ``rights``; callers
    that answer for everyone (feeds, JSON-LD, the admin) do not.
    """
    now = now or timezone.now()
    stored = stored_rules(now)
    if rights is not None and stored.get("experiment") is not None:
        arm = stored["experiment"].arm_for(rights)
        if arm is not None:
            return arm.rules
    rules = stored["rules"]
    return rules if rules is not None else settings_rules()


def stored_rules(now: datetime) -> dict:
    """The cached blob: ``{"gen", "rules", "until", "experiment"}`` (the rules
    version in force or None, when it stops being valid, and the running
    ``experiments.RunningExperiment`` or None)."""
    memo = _local.get("stored")
    if memo is not None and time.monotonic() < _local["expires"] and _still_valid(memo, now):
        return memo
    stored = _shared_rules(now)
    _local.update(stored=stored, expires=time.monotonic() + LOCAL_SECONDS)
    return stored


def _shared_rules(now: datetime) -> dict:
    found = cache.get_many([GEN_KEY, RULES_KEY])
    gen, stored = found.get(GEN_KEY), found.get(RULES_KEY)
    if gen is not None and stored and stored["gen"] == gen and _still_valid(stored, now):
        return stored
    if gen is None:
        # No token (never set, or evicted): start one, so an entry stored
        # under an evicted token can never match again.
        cache.add(GEN_KEY, _token(), timeout=None)
        gen = cache.get(GEN_KEY)
    rules, until = _load(now)
    # An experiment's arms are rule set versions: without any version, none runs.
    experiment = _load_experiment() if rules is not None or until is not None else None
    stored = {"gen": gen, "rules": rules, "until": until, "experiment": experiment}
    cache.set(RULES_KEY, stored, timeout=SECONDS)
    return stored


def forget_local_rules() -> None:
    """Drop this process's copy (a save here, or a test that cleared the cache)."""
    _local.clear()


def _still_valid(stored: dict, now: datetime) -> bool:
    until = stored.get("until")
    return until is None or now < until


def _load(now: datetime) -> tuple[PaywallRules | None, datetime | None]:
    """The version in force at ``now`` (None: no version yet) and when the next one starts."""
    from .models import RuleSet  # models import the choices above

    return RuleSet.objects.in_force(at=now)


def _load_experiment():
    """The running experiment with its arms' rules (None: none runs)."""
    from .experiments import load_running

    return load_running()


def _token() -> int:
    return time.time_ns()


def forget_rules() -> None:
    """Make every process read the rules again (a version or an override was saved)."""
    forget_local_rules()
    cache.set(GEN_KEY, _token(), timeout=None)

    def after_commit():
        forget_local_rules()
        cache.set(GEN_KEY, _token(), timeout=None)

    transaction.on_commit(after_commit)


# --- What overrides may name ------------------------------------------------------------
# The paywall does not know sections and topics. The app that owns them
# registers a provider of (slug, name) pairs per target (``articles`` does, in
# its AppConfig), so the admin offers real slugs and rejects unknown ones.

_TARGETS: dict[str, Callable[[], list[tuple[str, str]]]] = {}


def register_override_targets(target: OverrideTarget, provider) -> None:
    _TARGETS[str(target)] = provider


def override_targets(target: OverrideTarget) -> list[tuple[str, str]] | None:
    """The (slug, name) pairs an override of ``target`` may name; None: anything."""
    provider = _TARGETS.get(str(target))
    return None if provider is None else list(provider())
