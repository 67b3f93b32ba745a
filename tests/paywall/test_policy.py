"""The paywall policy: the decision for every access level × every reader state,
on every surface, and the cache policy that follows from it."""

import pytest
from django.test import RequestFactory

from articles.body import visible_body
from paywall.cache_policy import cache_policy
from paywall.policy import (
    GRANTED_REASONS,
    ArticleFacts,
    MeterView,
    Reason,
    Surface,
    decide,
    fresh_meter,
)
from paywall.reading import open_article
from paywall.rights import ANONYMOUS, Crawler, ReaderRights
from paywall.rules import PaywallRules, current_rules
from subscriptions.rights import reader_rights, rights_for_user
from tests.factories import ArticleFactory

SECRET = "RAHASIA-PARAGRAF-TIGA"
# The defaults, for tests without a database (``decide`` reads no rules then).
RULES = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)

# reader state -> {access level: (granted, reason)}; metered rows are for a
# reader with allowance left.
MATRIX = {
    "anonymous": {
        "free": (True, "free"),
        "registered": (False, "registration_required"),
        "metered": (True, "metered"),
        "premium": (False, "premium_login"),
    },
    "registered": {
        "free": (True, "free"),
        "registered": (True, "registered"),
        "metered": (True, "metered"),
        "premium": (False, "subscription_required"),
    },
    "ad_free": {
        "free": (True, "free"),
        "registered": (True, "registered"),
        "metered": (True, "metered"),
        "premium": (False, "upgrade_required"),
    },
    "premium": {
        "free": (True, "free"),
        "registered": (True, "subscriber"),
        "metered": (True, "subscriber"),
        "premium": (True, "subscriber"),
    },
    "premium_trialing": {
        "free": (True, "free"),
        "registered": (True, "subscriber"),
        "metered": (True, "subscriber"),
        "premium": (True, "subscriber"),
    },
    "past_due_in_grace": {
        "free": (True, "free"),
        "registered": (True, "subscriber"),
        "metered": (True, "subscriber"),
        "premium": (True, "subscriber"),
    },
    "past_due_after_grace": {
        "free": (True, "free"),
        "registered": (True, "registered"),
        "metered": (True, "metered"),
        "premium": (False, "subscription_required"),
    },
    "canceled_paid_up": {
        "free": (True, "free"),
        "registered": (True, "subscriber"),
        "metered": (True, "subscriber"),
        "premium": (True, "subscriber"),
    },
    "expired": {
        "free": (True, "free"),
        "registered": (True, "registered"),
        "metered": (True, "metered"),
        "premium": (False, "subscription_required"),
    },
    "staff": {
        "free": (True, "free"),
        "registered": (True, "staff"),
        "metered": (True, "staff"),
        "premium": (True, "staff"),
    },
}

CASES = [(state, level) for state, row in MATRIX.items() for level in row]
TEASER_SURFACES = [Surface.FEED, Surface.SEARCH, Surface.LIST, Surface.EMAIL]


def rights_of(readers, state) -> ReaderRights:
    return rights_for_user(readers[state])


@pytest.mark.parametrize(("state", "level"), CASES)
def test_access_matrix(readers, state, level):
    article = ArticleFactory(access_level=level)
    rights = rights_of(readers, state)
    decision = decide(
        rights=rights, article=article, surface=Surface.PAGE, meter=fresh_meter(rights)
    )
    assert (decision.granted, decision.reason) == MATRIX[state][level]
    body = visible_body(article, decision)
    # The hidden paragraphs leave the server exactly when the body is granted.
    assert (SECRET in body) is decision.granted
    assert "Paragraf pembuka" in body
    assert (decision.reason in GRANTED_REASONS) is decision.granted


@pytest.mark.parametrize(("state", "level"), CASES)
@pytest.mark.parametrize("surface", TEASER_SURFACES)
def test_teaser_surfaces_grant_only_what_the_reader_may_read_outright(
    readers, state, level, surface
):
    article = ArticleFactory.build(pk=1, access_level=level)
    rights = rights_of(readers, state)
    on_page = decide(
        rights=rights, article=article, surface=Surface.PAGE, meter=fresh_meter(rights)
    )
    listed = decide(rights=rights, article=article, surface=surface)
    if on_page.reason == Reason.METERED:
        assert (listed.granted, listed.reason) == (False, Reason.TEASER_ONLY)
    else:
        assert (listed.granted, listed.reason) == (on_page.granted, on_page.reason)


@pytest.mark.parametrize("level", ["free", "registered", "metered", "premium"])
def test_structured_data_calls_only_free_articles_free(readers, level):
    article = ArticleFacts(pk=1, access_level=level)
    for state in ("anonymous", "premium", "staff"):
        decision = decide(
            rights=rights_of(readers, state), article=article, surface=Surface.STRUCTURED_DATA
        )
        assert decision.granted is (level == "free")


def test_crawlers_on_a_metered_article():
    article = ArticleFacts(pk=7, access_level="metered")
    verified = ReaderRights(crawler=Crawler.VERIFIED)
    unverified = ReaderRights(crawler=Crawler.UNVERIFIED)
    assert (
        decide(rules=RULES, rights=verified, article=article, surface=Surface.PAGE).reason
        == "crawler"
    )
    assert (
        decide(rules=RULES, rights=unverified, article=article, surface=Surface.API).reason
        == "crawler_unverified"
    )
    # A crawler's grant is for reading the article, never for a search snippet.
    assert (
        decide(rules=RULES, rights=verified, article=article, surface=Surface.SEARCH).granted
        is False
    )


def test_the_meter_counts_down_and_a_reread_is_free():
    article = ArticleFacts(pk=7, access_level="metered")
    first = decide(
        rules=RULES,
        rights=ANONYMOUS,
        article=article,
        surface=Surface.PAGE,
        meter=MeterView(left=3),
    )
    again = decide(
        rules=RULES,
        rights=ANONYMOUS,
        article=article,
        surface=Surface.PAGE,
        meter=MeterView(left=0, read_ids=frozenset({7})),
    )
    exhausted = decide(
        rules=RULES,
        rights=ANONYMOUS,
        article=article,
        surface=Surface.PAGE,
        meter=MeterView(left=0),
    )
    assert (first.granted, first.meter_left) == (True, 2)
    assert (again.granted, again.reason, again.meter_left) == (True, "metered", 0)
    assert (exhausted.granted, exhausted.reason) == (False, "meter_exhausted")


def test_a_metered_reading_surface_without_the_meter_is_a_programming_error():
    with pytest.raises(ValueError, match="meter"):
        decide(
            rules=RULES,
            rights=ANONYMOUS,
            article=ArticleFacts(pk=1, access_level="metered"),
            surface=Surface.PAGE,
        )


@pytest.mark.parametrize("state", ["premium", "canceled_paid_up", "past_due_in_grace", "staff"])
def test_entitled_text_is_private_and_teasers_may_be_shared(readers, state):
    premium = ArticleFactory(access_level="premium")
    rights = rights_of(readers, state)
    granted = decide(rights=rights, article=premium, surface=Surface.PAGE)
    gated = decide(rights=ANONYMOUS, article=premium, surface=Surface.PAGE)
    free = decide(rights=ANONYMOUS, article=ArticleFactory(), surface=Surface.PAGE)
    assert not cache_policy(granted, rights=rights, surface=Surface.PAGE).shareable
    assert cache_policy(granted, rights=rights, surface=Surface.PAGE).cache_control.startswith(
        "private"
    )
    assert cache_policy(gated, rights=ANONYMOUS, surface=Surface.PAGE).shareable
    assert cache_policy(free, rights=ANONYMOUS, surface=Surface.PAGE).cache_control.startswith(
        "public"
    )
    assert granted.cache_variant != gated.cache_variant


@pytest.mark.parametrize("surface", [Surface.PAGE, Surface.API, Surface.PRINT])
@pytest.mark.parametrize(
    "rights",
    [ANONYMOUS, ReaderRights(crawler=Crawler.UNVERIFIED), ReaderRights(crawler=Crawler.VERIFIED)],
    ids=["anonymous", "unverified-crawler", "verified-crawler"],
)
def test_metered_outcomes_are_never_shared_on_any_reading_surface(rights, surface):
    article = ArticleFacts(pk=3, access_level="metered")
    for meter in (MeterView(left=3), MeterView(left=0)):
        decision = decide(rules=RULES, rights=rights, article=article, surface=surface, meter=meter)
        policy = cache_policy(decision, rights=rights, surface=surface)
        assert not policy.shareable, decision
        assert policy.cache_control.startswith("private")


def test_a_signed_in_readers_pages_are_never_shared(readers):
    rights = rights_of(readers, "registered")
    free = decide(rights=rights, article=ArticleFacts(pk=1, access_level="free"), surface="page")
    assert not cache_policy(free, rights=rights, surface=Surface.PAGE).shareable
    assert not cache_policy(None, rights=rights, surface=Surface.LIST).shareable
    assert cache_policy(None, rights=ANONYMOUS, surface=Surface.LIST).shareable


def test_preview_is_never_stored():
    decision = decide(
        rules=RULES,
        rights=ANONYMOUS,
        article=ArticleFacts(pk=1, access_level="free"),
        surface=Surface.PREVIEW,
    )
    policy = cache_policy(decision, rights=ANONYMOUS, surface=Surface.PREVIEW)
    assert policy.cache_control == "private, no-store"


@pytest.mark.parametrize(
    ("state", "klass"),
    [
        ("anonymous", "anonymous"),
        ("registered", "registered"),
        ("expired", "registered"),
        ("ad_free", "ad_free"),
        ("premium", "premium"),
        ("past_due_in_grace", "premium"),
    ],
)
def test_cache_class_is_what_the_reader_may_see(readers, state, klass):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = readers[state] or AnonymousUser()
    assert reader_rights(request).cache_class == klass


def test_decide_reads_and_writes_nothing(readers, django_assert_num_queries):
    from paywall.models import MeterRead

    article = ArticleFactory(access_level="metered")
    rights = rights_of(readers, "registered")
    rules = current_rules()  # the rules are an input (a cache hit, or SQL on a miss)
    with django_assert_num_queries(0):
        decide(
            rights=rights,
            article=article,
            surface=Surface.PAGE,
            meter=MeterView(left=10),
            rules=rules,
        )
    assert not MeterRead.objects.exists()


def _request(method="GET", user=None):
    from django.contrib.auth.models import AnonymousUser

    request = getattr(RequestFactory(), method.lower())("/")
    request.user = user or AnonymousUser()
    request.meter_key = None
    return request


def test_opening_an_article_counts_a_registered_read_once(readers):
    article = ArticleFactory(access_level="metered")
    request = _request(user=readers["registered"])
    rights = reader_rights(request)
    first = open_article(request, rights=rights, article=article, surface=Surface.PAGE)
    again = open_article(request, rights=rights, article=article, surface=Surface.PAGE)
    assert first.granted
    assert first.meter_left == 9
    assert again.granted
    assert again.meter_left == 9


@pytest.mark.parametrize("surface", [Surface.PAGE, Surface.API])
def test_a_head_request_never_spends_a_read(readers, surface):
    from paywall.models import MeterRead

    article = ArticleFactory(access_level="metered")
    request = _request("HEAD", user=readers["registered"])
    decision = open_article(
        request, rights=reader_rights(request), article=article, surface=surface
    )
    assert (decision.granted, decision.reason, decision.meter_left) == (False, "meter_preview", 10)
    assert not MeterRead.objects.exists()
