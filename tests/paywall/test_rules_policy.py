"""The rules' overrides in the one policy: ``decide`` under every rule kind, with
``PaywallRules`` built here (no database), and the SQL form of the effective
level (``ArticleQuerySet.with_effective_level``) held to the same answers."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from articles.models import Article
from paywall.policy import (
    ArticleFacts,
    MeterView,
    Reason,
    Surface,
    decide,
    effective_level,
    stored_levels,
)
from paywall.rights import ANONYMOUS, PREMIUM_CONTENT, ReaderRights, signed_in
from paywall.rules import Override, OverrideKind, OverrideTarget, PaywallRules
from tests.factories import ArticleFactory, SectionFactory, TopicFactory

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
BASE = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2, version="t1")
REGISTERED = signed_in(user_id=1, entitlements=())
PREMIUM = signed_in(user_id=2, entitlements=(PREMIUM_CONTENT,))
LEVELS = ["free", "registered", "metered", "premium"]


def section(kind: OverrideKind, slug: str = "ekonomi", days: int | None = None) -> Override:
    return Override(OverrideTarget.SECTION, slug, kind, days)


def topic(kind: OverrideKind, slug: str = "banjir", days: int | None = None) -> Override:
    return Override(OverrideTarget.TOPIC, slug, kind, days)


def facts(level: str, *, section_slug="ekonomi", topics=(), age=timedelta(hours=1)):
    return ArticleFacts(
        pk=7,
        access_level=level,
        section_slug=section_slug,
        topic_slugs=frozenset(topics),
        published_at=NOW - age,
    )


def rules(*overrides, **changes) -> PaywallRules:
    return replace(BASE, overrides=tuple(overrides), **changes)


def page(rights, article, rules_, meter=None):
    return decide(
        rights=rights,
        article=article,
        surface=Surface.PAGE,
        meter=meter or MeterView(left=rules_.allowance_for(authenticated=rights.authenticated)),
        rules=rules_,
        now=NOW,
    )


# --- Without overrides the article's own level holds --------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_without_overrides_the_level_is_the_articles_own(level):
    assert effective_level(facts(level), rules=BASE, now=NOW) == level


@pytest.mark.parametrize("level", LEVELS)
def test_an_override_of_another_section_or_topic_changes_nothing(level):
    others = rules(
        section(OverrideKind.FREE, "olahraga"),
        topic(OverrideKind.REGISTRATION_ONLY, "pemilu"),
        section(OverrideKind.ARCHIVE_WALL, "hukum", days=1),
    )
    article = facts(level, topics={"banjir"}, age=timedelta(days=400))
    assert effective_level(article, rules=others, now=NOW) == level


# --- Free for everyone (the crisis switch) -----------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("override", [section(OverrideKind.FREE), topic(OverrideKind.FREE)])
def test_the_crisis_switch_makes_every_article_free_for_everyone(level, override):
    article = facts(level, topics={"banjir"})
    decision = page(ANONYMOUS, article, rules(override))
    assert (decision.granted, decision.reason) == (True, Reason.FREE)
    # Free on every surface, search snippets and structured data included.
    for surface in (Surface.FEED, Surface.SEARCH, Surface.STRUCTURED_DATA):
        assert decide(
            rights=ANONYMOUS, article=article, surface=surface, rules=rules(override), now=NOW
        ).granted


def test_the_crisis_switch_wins_over_every_other_override():
    article = facts("premium", topics={"banjir"}, age=timedelta(days=400))
    both = rules(
        section(OverrideKind.ARCHIVE_WALL, days=30),
        section(OverrideKind.REGISTRATION_ONLY, "lain"),
        topic(OverrideKind.FREE),
    )
    assert effective_level(article, rules=both, now=NOW) == "free"


# --- Always registration-only --------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("free", "registered"),
        ("metered", "registered"),
        ("registered", "registered"),
        ("premium", "premium"),  # opens nothing that is sold
    ],
)
@pytest.mark.parametrize(
    "override", [section(OverrideKind.REGISTRATION_ONLY), topic(OverrideKind.REGISTRATION_ONLY)]
)
def test_registration_only(level, expected, override):
    assert effective_level(facts(level, topics={"banjir"}), rules=rules(override), now=NOW) == (
        expected
    )


def test_registration_only_gates_anonymous_readers_and_lets_registered_ones_read_unmetered():
    only = rules(section(OverrideKind.REGISTRATION_ONLY))
    for level in ("free", "metered"):
        anonymous = page(ANONYMOUS, facts(level), only)
        registered = page(REGISTERED, facts(level), only, meter=MeterView(left=0))
        assert (anonymous.granted, anonymous.reason) == (False, Reason.REGISTRATION_REQUIRED)
        # Registered: read outright, even with the meter used up.
        assert (registered.granted, registered.reason) == (True, Reason.REGISTERED)


# --- Premium after N days (archive wall) --------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(
    "override",
    [section(OverrideKind.ARCHIVE_WALL, days=30), topic(OverrideKind.ARCHIVE_WALL, days=30)],
)
def test_the_archive_wall_makes_old_articles_premium_and_leaves_new_ones(level, override):
    young = facts(level, topics={"banjir"}, age=timedelta(days=29, hours=23))
    old = facts(level, topics={"banjir"}, age=timedelta(days=30))
    assert effective_level(young, rules=rules(override), now=NOW) == level
    assert effective_level(old, rules=rules(override), now=NOW) == "premium"


def test_behind_the_archive_wall_only_subscribers_read():
    wall = rules(section(OverrideKind.ARCHIVE_WALL, days=7))
    old = facts("free", age=timedelta(days=8))
    assert page(ANONYMOUS, old, wall).reason == Reason.PREMIUM_LOGIN
    assert page(REGISTERED, old, wall).reason == Reason.SUBSCRIPTION_REQUIRED
    assert page(PREMIUM, old, wall).reason == Reason.SUBSCRIBER
    # Structured data is honest about it: no longer free.
    assert not decide(
        rights=ANONYMOUS, article=old, surface=Surface.STRUCTURED_DATA, rules=wall, now=NOW
    ).granted


def test_the_archive_wall_wins_over_registration_only():
    article = facts("free", topics={"banjir"}, age=timedelta(days=40))
    both = rules(section(OverrideKind.REGISTRATION_ONLY), topic(OverrideKind.ARCHIVE_WALL, days=30))
    assert effective_level(article, rules=both, now=NOW) == "premium"
    young = facts("free", topics={"banjir"}, age=timedelta(days=2))
    assert effective_level(young, rules=both, now=NOW) == "registered"


# --- Premium metered for the first N hours ---------------------------------------------------


def test_premium_articles_are_metered_for_their_first_hours():
    fresh = rules(premium_metered_hours=6)
    young = facts("premium", age=timedelta(hours=5, minutes=59))
    old = facts("premium", age=timedelta(hours=6))
    assert effective_level(young, rules=fresh, now=NOW) == "metered"
    assert effective_level(old, rules=fresh, now=NOW) == "premium"
    granted = page(ANONYMOUS, young, fresh)
    assert (granted.granted, granted.reason, granted.meter_left) == (True, Reason.METERED, 2)
    used_up = page(ANONYMOUS, young, fresh, meter=MeterView(left=0))
    assert (used_up.granted, used_up.reason) == (False, Reason.METER_EXHAUSTED)
    assert page(ANONYMOUS, old, fresh).reason == Reason.PREMIUM_LOGIN
    # Other levels are not touched.
    for level in ("free", "registered", "metered"):
        assert effective_level(facts(level), rules=fresh, now=NOW) == level


def test_a_young_premium_article_in_a_registration_only_section_needs_registration():
    both = rules(section(OverrideKind.REGISTRATION_ONLY), premium_metered_hours=6)
    assert effective_level(facts("premium"), rules=both, now=NOW) == "registered"
    old = facts("premium", age=timedelta(days=1))
    assert effective_level(old, rules=both, now=NOW) == "premium"


def test_a_teaser_surface_never_grants_a_meter_read_under_the_age_rule():
    fresh = rules(premium_metered_hours=6)
    for surface in (Surface.FEED, Surface.SEARCH, Surface.LIST, Surface.EMAIL):
        decision = decide(
            rights=ANONYMOUS, article=facts("premium"), surface=surface, rules=fresh, now=NOW
        )
        assert (decision.granted, decision.reason) == (False, Reason.TEASER_ONLY)


# --- The rules' other parts reach the decision ------------------------------------------------


def test_the_teaser_length_and_the_version_come_from_the_rules():
    longer = rules(teaser_blocks=4, version="t9")
    decision = page(ANONYMOUS, facts("premium"), longer)
    assert decision.teaser_blocks == 4
    assert decision.cache_variant == "teaser-premium_login@t9"
    assert page(ANONYMOUS, facts("premium"), BASE).cache_variant != decision.cache_variant


def test_the_allowance_comes_from_the_rules():
    from paywall.policy import fresh_meter

    assert fresh_meter(ANONYMOUS, rules=rules(anonymous_allowance=5)).left == 5
    assert fresh_meter(REGISTERED, rules=rules(registered_allowance=1)).left == 1


def test_staff_read_everything_whatever_the_overrides():
    staff = ReaderRights(authenticated=True, user_id=3, is_staff=True)
    wall = rules(section(OverrideKind.ARCHIVE_WALL, days=1))
    assert page(staff, facts("free", age=timedelta(days=3)), wall).reason == Reason.STAFF


# --- Which stored levels can end up at a level (a search's index scan) ------------------

SLUGS = ("ekonomi", "hukum")
TOPICS = ("banjir", "pemilu")
any_override = st.builds(
    lambda target, slug, kind, days: Override(
        target, slug, kind, days if kind == OverrideKind.ARCHIVE_WALL else None
    ),
    st.sampled_from(list(OverrideTarget)),
    st.sampled_from(SLUGS + TOPICS),
    st.sampled_from(list(OverrideKind)),
    st.sampled_from([1, 30]),
)
any_rules = st.builds(
    lambda overrides, hours: rules(*overrides, premium_metered_hours=hours),
    st.lists(any_override, max_size=3),
    st.sampled_from([None, 6, 48]),
)
any_article = st.builds(
    facts,
    st.sampled_from(LEVELS),
    section_slug=st.sampled_from(SLUGS),
    topics=st.sets(st.sampled_from(TOPICS)),
    age=st.sampled_from([timedelta(hours=1), timedelta(days=3), timedelta(days=40)]),
)


@given(
    rules_=any_rules,
    article=any_article,
    levels=st.sets(st.sampled_from(LEVELS), min_size=1),
)
def test_an_article_at_a_searched_level_always_has_a_stored_level_the_search_reads(
    rules_, article, levels
):
    """Whatever the rules: an article whose effective level is one of
    ``levels`` has a stored level in ``stored_levels`` (a search that narrows
    its index scan by them misses no body it may search)."""
    if effective_level(article, rules=rules_, now=NOW) in levels:
        assert article.access_level in stored_levels(levels, rules=rules_)


@pytest.mark.parametrize(
    ("rules_", "levels", "expected"),
    [
        (BASE, {"free"}, {"free"}),
        (BASE, {"free", "registered"}, {"free", "registered"}),
        (rules(section(OverrideKind.FREE, "hukum")), {"free"}, set(LEVELS)),
        (rules(section(OverrideKind.FREE, "hukum")), {"registered"}, {"registered"}),
        (rules(topic(OverrideKind.ARCHIVE_WALL, days=30)), {"free"}, {"free"}),
        (rules(topic(OverrideKind.ARCHIVE_WALL, days=30)), {"premium"}, set(LEVELS)),
        (rules(premium_metered_hours=6), {"free", "metered"}, {"free", "metered", "premium"}),
        (
            rules(section(OverrideKind.REGISTRATION_ONLY)),
            {"free", "registered"},
            {"free", "registered", "metered"},
        ),
        (
            rules(section(OverrideKind.REGISTRATION_ONLY), premium_metered_hours=6),
            {"registered"},
            set(LEVELS),
        ),
    ],
)
def test_the_stored_levels_are_the_levels_and_what_the_rules_can_open_to_them(
    rules_, levels, expected
):
    assert stored_levels(levels, rules=rules_) == expected


# --- The SQL form agrees with the policy -------------------------------------------------------


@pytest.mark.django_db
def test_the_sql_effective_level_is_the_policys():
    now = timezone.now()
    ekonomi = SectionFactory(slug="ekonomi")
    hukum = SectionFactory(slug="hukum")
    banjir = TopicFactory(slug="banjir")
    pemilu = TopicFactory(slug="pemilu")
    articles = []
    for level in LEVELS:
        for home in (ekonomi, hukum):
            for tags in ([], [banjir], [pemilu], [banjir, pemilu]):
                for age in (timedelta(hours=1), timedelta(days=3), timedelta(days=40)):
                    articles.append(
                        ArticleFactory(
                            access_level=level,
                            section=home,
                            topics=tags,
                            published_at=now - age,
                            lead_photo=None,
                        )
                    )
    rule_sets = [
        BASE,
        rules(premium_metered_hours=6),
        rules(section(OverrideKind.FREE, "hukum")),
        rules(topic(OverrideKind.FREE, "pemilu"), section(OverrideKind.ARCHIVE_WALL, days=30)),
        rules(section(OverrideKind.REGISTRATION_ONLY), topic(OverrideKind.ARCHIVE_WALL, days=2)),
        rules(
            topic(OverrideKind.REGISTRATION_ONLY),
            section(OverrideKind.ARCHIVE_WALL, "hukum", days=30),
            premium_metered_hours=24,
        ),
    ]
    for rule_set in rule_sets:
        in_sql = dict(
            Article.objects.filter(pk__in=[a.pk for a in articles])
            .with_effective_level(rules=rule_set, now=now)
            .values_list("pk", "effective_level")
        )
        loaded = Article.objects.select_related("section").prefetch_related("topics")
        for article in loaded.filter(pk__in=[a.pk for a in articles]):
            expected = effective_level(article, rules=rule_set, now=now)
            assert in_sql[article.pk] == expected, (rule_set, article.access_level)
