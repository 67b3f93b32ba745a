"""The funnel, the converting articles, the meter's what-if and the timeline,
each against a small hand-computed fixture."""

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from analytics.funnel import recount_totals
from analytics.models import Attribution, FunnelDaily
from paywall.funnel import Event
from paywall.models import Experiment, ExperimentLog, Meter, MeterRead
from paywall.rules import PaywallRules
from paywall.rulesets import ruleset_create
from revenue import funnel, timeline, whatif
from revenue.params import DateRange
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, UserFactory

from .conftest import NOW, at

pytestmark = pytest.mark.django_db

JUNE_14_15 = DateRange(start=date(2026, 6, 14), end=date(2026, 6, 15))


def daily(day, kind, events, *, reason="", amount=0, article=None):
    """A roll-up row, and the day's totals recounted as the roll-up does."""
    row = FunnelDaily.objects.create(
        day=day, kind=kind, events=events, reason=reason, amount_idr=amount, article=article
    )
    recount_totals([day])
    return row


@pytest.fixture
def funnel_days(db):
    d14, d15 = date(2026, 6, 14), date(2026, 6, 15)
    daily(d14, Event.GATE_IMPRESSION, 100, reason="metered")
    daily(d15, Event.GATE_IMPRESSION, 30, reason="metered")
    daily(d15, Event.GATE_IMPRESSION, 20, reason="premium")
    daily(d14, Event.SUBSCRIBE_CLICK, 12)
    daily(d15, Event.SUBSCRIBE_CLICK, 8)
    daily(d15, Event.REGISTRATION, 10)
    daily(d15, Event.CHECKOUT_STARTED, 8)
    daily(d14, Event.SUBSCRIPTION_CREATED, 1, amount=65_000)
    daily(d15, Event.SUBSCRIPTION_CREATED, 3, amount=195_000)
    daily(d15, Event.METER_EXHAUSTED, 30)
    daily(d15, Event.SUBSCRIPTION_CANCELLED, 1)
    # Outside the range: never counted.
    daily(date(2026, 6, 13), Event.GATE_IMPRESSION, 999)
    daily(date(2026, 6, 16), Event.SUBSCRIPTION_CREATED, 999)


def test_funnel_steps_from_the_daily_rollup(funnel_days):
    # Gates 100 + 30 + 20 = 150; clicks 12 + 8 = 20; registrations 10; checkouts 8;
    # subscriptions 1 + 3 = 4 (65,000 + 195,000 = 260,000 IDR).
    # % of gates: 20/150 = 13.3, 10/150 = 6.7, 8/150 = 5.3, 4/150 = 2.7.
    # % of the step before: 20/150 = 13.3, 10/20 = 50, 8/10 = 80, 4/8 = 50.
    totals = funnel.event_totals(days=JUNE_14_15)
    steps = [
        (s.kind, s.events, s.of_first, s.of_previous) for s in funnel.funnel_steps(totals=totals)
    ]
    assert steps == [
        ("gate_impression", 150, 100.0, None),
        ("subscribe_click", 20, 13.3, 13.3),
        ("registration", 10, 6.7, 50.0),
        ("checkout_started", 8, 5.3, 80.0),
        ("subscription_created", 4, 2.7, 50.0),
    ]
    assert totals[Event.SUBSCRIPTION_CREATED]["amount"] == 260_000
    assert totals[Event.METER_EXHAUSTED]["events"] == 30
    assert totals[Event.SUBSCRIPTION_CANCELLED]["events"] == 1


def test_funnel_per_day_and_gates_by_reason(funnel_days):
    by_day = funnel.funnel_by_day(days=JUNE_14_15)
    assert by_day[Event.GATE_IMPRESSION] == {date(2026, 6, 14): 100, date(2026, 6, 15): 50}
    assert by_day[Event.SUBSCRIPTION_CREATED] == {date(2026, 6, 14): 1, date(2026, 6, 15): 3}
    # metered 100 + 30 = 130, premium 20.
    assert funnel.gates_by_reason(days=JUNE_14_15) == [("metered", 130), ("premium", 20)]


def test_an_empty_funnel_has_no_shares(db):
    steps = funnel.funnel_steps(totals=funnel.event_totals(days=JUNE_14_15))
    assert [(s.events, s.of_first) for s in steps] == [(0, None)] * 5


def test_top_converting_articles_sections_and_authors(business):
    ani, budi = AuthorFactory(name="Ani", slug="ani"), AuthorFactory(name="Budi", slug="budi")
    x = ArticleFactory(
        headline="X", section=SectionFactory(name="Ekonomi", slug="ekonomi"), authors=[ani, budi]
    )
    y = ArticleFactory(
        headline="Y", section=SectionFactory(name="Politik", slug="politik"), authors=[ani]
    )
    s = business.subs

    def credit(sub, article, idr, model="last_touch"):
        Attribution.objects.create(
            subscription=s[sub], article=article, model=model, credited_idr=idr
        )

    credit("I", x, 65_000)
    credit("C", x, 25_000)
    credit("D2", y, 25_000)
    credit("J2", y, 65_000)
    credit("G", y, 65_000)
    credit("A", x, 65_000)  # A started in March: outside the range
    credit("I", y, 65_000, model="first_touch")
    june = DateRange(start=date(2026, 6, 1), end=date(2026, 6, 15))

    def rows(credits):
        return [(c.name, c.subscriptions, c.credited_idr) for c in credits]

    # Last touch: Y has D2, J2, G -> 3, 25,000 + 65,000 + 65,000 = 155,000; X has I, C -> 2, 90,000.
    assert rows(funnel.top_articles(days=june, model="last_touch")) == [
        ("Y", 3, 155_000),
        ("X", 2, 90_000),
    ]
    assert rows(funnel.top_sections(days=june, model="last_touch")) == [
        ("Politik", 3, 155_000),
        ("Ekonomi", 2, 90_000),
    ]
    # Ani wrote both: 3 + 2 = 5, 245,000. Budi only X: 2, 90,000.
    assert rows(funnel.top_authors(days=june, model="last_touch")) == [
        ("Ani", 5, 245_000),
        ("Budi", 2, 90_000),
    ]
    assert rows(funnel.top_articles(days=june, model="first_touch")) == [("Y", 1, 65_000)]


# --- The meter's what-if -------------------------------------------------------------------


def _reads(meter, n, *, days_ago=1, articles=None):
    articles = articles or [ArticleFactory() for _ in range(n)]
    for article in articles:
        MeterRead.objects.create(
            meter=meter,
            article=article,
            period=(NOW - timedelta(days=days_ago)).date().replace(day=1),
            read_at=NOW - timedelta(days=days_ago),
        )
    return articles


@pytest.fixture
def reads(db):
    """Anonymous: m1 reads 3 different articles in the window (and one 40 days ago),
    m2 reads 1, m3 (merged into an account at sign-in) 4: left out.
    Registered: u reads 5 different articles, one of them twice (in two periods)."""
    m1, m2, m3 = (Meter.objects.create(token=uuid.uuid4()) for _ in range(3))
    _reads(m1, 3)
    _reads(m1, 1, days_ago=40)
    _reads(m2, 1)
    m3.merged_into = UserFactory()
    m3.save()
    _reads(m3, 4)
    u = Meter.objects.create(user=UserFactory())
    articles = _reads(u, 5, days_ago=2)
    MeterRead.objects.create(
        meter=u, article=articles[0], period=date(2026, 5, 1), read_at=NOW - timedelta(days=20)
    )


def test_meter_replay_for_every_allowance(reads):
    rules = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)
    with CaptureQueriesContext(connection) as queries:
        replay = whatif.meter_replay(now=NOW, rules=rules)
    assert len(queries) == 1
    anonymous = [(r.allowance, r.readers, r.at_wall, r.gate_impressions) for r in replay[:10]]
    registered = [(r.allowance, r.readers, r.at_wall, r.gate_impressions) for r in replay[10:]]
    # Anonymous n = 3 (m1) and 1 (m2): reach the wall when n >= a;
    # gates = sum(max(n - a, 0)): a=1: 2 + 0, a=2: 1, a>=3: 0.
    assert anonymous == [
        (1, 2, 2, 2),
        (2, 2, 1, 1),
        (3, 2, 1, 0),
        *[(a, 2, 0, 0) for a in range(4, 11)],
    ]
    # Registered n = 5 (the re-read counts once): a <= 5 reaches the wall; gates 5 - a.
    assert registered == [
        (1, 1, 1, 4),
        (2, 1, 1, 3),
        (3, 1, 1, 2),
        (4, 1, 1, 1),
        (5, 1, 1, 0),
        *[(a, 1, 0, 0) for a in range(6, 11)],
    ]
    assert [r.allowance for r in replay if r.is_current] == [3, 10]
    assert [r.allowance for r in replay[:10] if r.is_lower_bound] == list(range(4, 11))
    assert replay[0].at_wall_percent == 100.0
    assert replay[1].at_wall_percent == 50.0


def test_meter_replay_of_no_reads(db):
    rules = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)
    replay = whatif.meter_replay(now=NOW, rules=rules)
    assert len(replay) == 20
    assert {(r.readers, r.at_wall, r.gate_impressions, r.at_wall_percent) for r in replay} == {
        (0, 0, 0, None)
    }


# --- The timeline --------------------------------------------------------------------------


def test_timeline_of_rule_versions_and_experiments(db):
    staff = UserFactory(username="staf", first_name="Sari", last_name="Staf")
    base = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)
    ruleset_create(rules=base, why="awal", by=None, effective_from=at(5, 1))
    five = PaywallRules(anonymous_allowance=5, registered_allowance=10, teaser_blocks=2)
    v2 = ruleset_create(rules=five, why="uji lima", by=staff, effective_from=at(6, 10))
    experiment = Experiment.objects.create(name="Lima lawan tiga", status="stopped")
    ExperimentLog.objects.create(
        experiment=experiment, action="started", at=at(6, 11), by=staff, why="coba"
    )
    ExperimentLog.objects.create(
        experiment=experiment,
        action="stopped",
        at=at(6, 14),
        by=None,
        why="cukup",
        arm="b",
        ruleset=v2,
    )
    ExperimentLog.objects.create(experiment=experiment, action="created", at=at(5, 20))  # before

    with translation.override("en"):
        entries = timeline.timeline(start_at=at(6, 1, 0), end_at=at(6, 16, 0))
    assert [(e.at, e.kind, e.who, e.why) for e in entries] == [
        (at(6, 14), "experiment", "system", "cukup"),
        (at(6, 11), "experiment", "Sari Staf", "coba"),
        (at(6, 10), "rules", "Sari Staf", "uji lima"),
    ]
    # v1 (May 1) is outside the range but is what v2 changed.
    assert entries[2].change == "anonymous 3 → 5, registered 10"
    assert entries[2].title == "Rules v2 in force"
    assert entries[0].title == "Lima lawan tiga: Stopped"
    assert entries[0].change == "arm b → v2"
    with translation.override("id"):
        assert timeline.timeline(start_at=at(6, 1, 0), end_at=at(6, 16, 0))[2].change == (
            "anonim 3 → 5, terdaftar 10"
        )


def test_the_timeline_page_shows_changes_made_through_the_services(client):
    from core.roles import CHIEF_EDITOR
    from paywall.experiments import (
        ArmSpec,
        experiment_create,
        experiment_promote,
        experiment_start,
    )

    chief = UserFactory(role=CHIEF_EDITOR, first_name="Kepala", last_name="Redaksi")
    three = ruleset_create(
        rules=PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2),
        why="awal",
        by=chief,
    )
    five = ruleset_create(
        rules=PaywallRules(anonymous_allowance=5, registered_allowance=10, teaser_blocks=2),
        why="naikkan jatah anonim",
        by=chief,
    )
    experiment = experiment_create(
        name="Tiga lawan lima",
        arms=[
            ArmSpec(key="a", ruleset=three, weight=50),
            ArmSpec(key="b", ruleset=five, weight=50),
        ],
        by=chief,
    )
    experiment_start(experiment, by=chief, why="uji")
    experiment_promote(experiment, arm="b", by=chief, why="lebih banyak pelanggan")

    client.force_login(chief)
    page = client.get("/admin/revenue/timeline/").content.decode()
    assert "naikkan jatah anonim" in page
    assert "anonim 3 → 5, terdaftar 10" in page
    assert "Tiga lawan lima" in page
    assert "lebih banyak pelanggan" in page
    assert "(salinan dari v2)" in page  # the promoted arm's rules, a new version
    assert "Kepala Redaksi" in page
