"""Opening an article: the decision for the request that reads it, and the meter read it spends.

``open_article`` is what the article page, print view and API detail call.
It asks ``policy.decide`` and, when the decision is a metered grant for an
article the reader has not read this period, counts the read exactly once
(``meter.meter_consume`` locks the meter row). It never counts a read for a
HEAD, prefetch or prerender request (``METER_PREVIEW``), for a crawler, or
for a hypothetical preview reader. A gated answer is recorded as a funnel
event (``paywall.funnel.record_gate``).
"""

from datetime import datetime

from django.utils import timezone

from . import experiments, funnel, meter, network
from .crawlers import is_speculative
from .policy import AccessDecision, Reason, Surface, decide, effective_level, make_decision
from .rights import AccessLevel, Crawler, ReaderRights
from .rules import Cookieless, PaywallRules, current_rules


def needs_meter(
    rights: ReaderRights,
    article,
    *,
    rules: PaywallRules | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether deciding for this reader and article on a reading surface needs the meter."""
    if rights.crawler != Crawler.NONE or AccessLevel.METERED in rights.levels:
        return False
    now = now or timezone.now()
    rules = rules or current_rules(now=now)
    return effective_level(article, rules=rules, now=now) == AccessLevel.METERED


def open_article(
    request, *, rights: ReaderRights, article, surface: Surface, now: datetime | None = None
) -> AccessDecision:
    """Decide for the reader behind ``request`` and spend a metered read if one is granted.

    The rules are the reader's (their experiment arm's, if one runs); a
    metered or gated outcome under an arm's rules is the reader's exposure to
    the experiment (``experiments.note_exposure``: no SQL, buffered).
    """
    now = now or timezone.now()
    rules = current_rules(now=now, rights=rights)
    decision = _open(request, rights, article, surface, now=now, rules=rules)
    if decision.per_reader:
        # The meter cookie middleware makes the response private whatever the view sets.
        request.paywall_private = True
    # A gated answer is a gate impression (and a refused read a meter_exhausted),
    # whether the view then renders the page or serves it from the page cache.
    funnel.record_gate(request, rights=rights, article_id=article.pk, decision=decision)
    return decision


def _open(request, rights, article, surface, *, now, rules) -> AccessDecision:
    if not needs_meter(rights, article, rules=rules, now=now):
        decision = decide(rights=rights, article=article, surface=surface, rules=rules, now=now)
    else:
        state = meter.meter_state(rights, now, rules=rules)
        decision = decide(
            rights=rights,
            article=article,
            surface=surface,
            meter=state.view(),
            rules=rules,
            now=now,
        )
        if decision.reason == Reason.METERED and not state.has_read(article.pk):
            decision = _spend_read(request, rights, article, surface, state, now=now, rules=rules)
    if decision.arm and not rights.hypothetical:
        experiments.note_exposure(rights, decision, now=now)
    return decision


def _spend_read(request, rights, article, surface, state, *, now, rules) -> AccessDecision:
    if is_speculative(request) or getattr(request, "head_request", False):
        return make_decision(False, Reason.METER_PREVIEW, rules, state.left)
    if not rights.authenticated and not rights.meter_key:
        # First metered read of a new visitor: issue the meter id now (the
        # middleware sets the cookie), not on every page, so shared pages stay cacheable.
        # A client that never returns the cookie comes back here every time:
        # the rules' ``cookieless`` option says what it gets.
        exhausted_in = None
        if rules.cookieless == Cookieless.NETWORK and not network.admit_new_meter(
            request, allowance=rules.network_allowance, now=now
        ):
            exhausted_in = meter.local_date(now)
        key = meter.new_anonymous_key(exhausted_in=exhausted_in)
        request.meter_key = key
        request.meter_cookie_value = key
        rights = ReaderRights(meter_key=key)
        arm_rules = current_rules(now=now, rights=rights)
        if arm_rules.version != rules.version:
            # The new id is in an experiment arm: its first read is decided
            # under the arm's rules too (the cookie-less rule was the default's).
            if rules.cookieless == Cookieless.TEASER:
                decision = make_decision(False, Reason.COOKIE_REQUIRED, arm_rules, state.left)
                experiments.note_exposure(rights, decision, now=now)
                return decision
            return _open(request, rights, article, surface, now=now, rules=arm_rules)
        if rules.cookieless == Cookieless.TEASER:
            return make_decision(False, Reason.COOKIE_REQUIRED, rules, state.left)
    outcome = meter.meter_consume(reader=rights, article=article, now=now, rules=rules)
    if outcome.granted:
        return make_decision(True, Reason.METERED, rules, outcome.left)
    exhausted = (
        Reason.METER_EXHAUSTED_REGISTERED if rights.authenticated else Reason.METER_EXHAUSTED
    )
    return make_decision(False, exhausted, rules, 0)
