"""Experiment results per arm from a small hand-counted fixture, and the
statistics against published values."""

import uuid

import pytest
from django.utils import timezone

from analytics.experiments import experiment_results, two_proportion_p_value, wilson_interval
from analytics.models import FunnelEvent
from paywall.experiments import ArmSpec, experiment_create, experiment_start
from paywall.funnel import Event
from paywall.models import Exposure
from paywall.rules import PaywallRules
from paywall.rulesets import ruleset_create

# --- The statistics: SciPy's, checked against published values -----------------------------


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe, R. G. (1998). Two-sided confidence intervals for the single
        # proportion: comparison of seven methods. Statistics in Medicine 17,
        # 857-872, Table II, method 3 (Wilson score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_intervals_match_newcombe_1998(successes, trials, low, high):
    got = wilson_interval(successes, trials)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_the_chi_square_test_matches_r_prop_test():
    # R documentation, ``prop.test`` example ("smokers"): X-squared = 12.6,
    # df = 3, p-value = 0.005585 (more than two groups: no continuity correction).
    from scipy.stats import chi2_contingency

    smokers, patients = [83, 90, 129, 70], [86, 93, 136, 82]
    table = [[s, p - s] for s, p in zip(smokers, patients, strict=True)]
    result = chi2_contingency(table, correction=False)
    assert result.statistic == pytest.approx(12.6, abs=0.005)
    assert result.pvalue == pytest.approx(0.005585, abs=5e-7)


def test_two_proportions_equal_the_pooled_z_test():
    # 2x2 without correction is the pooled z-test: z = (p1 - p0) / sqrt(p(1-p)(1/n1 + 1/n0)).
    # 30/100 vs 20/100: p = 0.25, z = 0.1 / sqrt(0.1875 * 0.02) = 1.63299, p = 0.10247.
    assert two_proportion_p_value(30, 100, 20, 100) == pytest.approx(0.10247, abs=5e-5)
    assert two_proportion_p_value(0, 10, 0, 10) is None  # nobody converted: no test
    assert two_proportion_p_value(1, 0, 1, 10) is None


# --- Counting ------------------------------------------------------------------------------------


def event(kind, arm, experiment, *, amount=0, other_experiment=False):
    now = timezone.now()
    return FunnelEvent(
        event_id=str(uuid.uuid4()),
        kind=kind,
        at=now,
        day=timezone.localdate(now),
        reader=f"m:{uuid.uuid4().hex}",
        experiment_id=experiment.pk + (1000 if other_experiment else 0),
        arm=arm,
        amount_idr=amount,
    )


@pytest.mark.django_db
def test_results_per_arm_from_a_hand_counted_fixture():
    rules = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)
    strict = ruleset_create(rules=PaywallRules(0, 0, 1), why="b", by=None)
    generous = ruleset_create(rules=rules, why="a", by=None)
    experiment = experiment_start(
        experiment_create(
            name="x", arms=[ArmSpec("a", generous, 50), ArmSpec("b", strict, 50)], by=None
        ),
        by=None,
    )
    Exposure.objects.bulk_create(
        [Exposure(experiment=experiment, arm="a", reader=f"m:a{i}") for i in range(100)]
        + [Exposure(experiment=experiment, arm="b", reader=f"m:b{i}") for i in range(100)]
    )
    rows = (
        [event(Event.GATE_IMPRESSION, "a", experiment) for _ in range(40)]
        + [event(Event.GATE_IMPRESSION, "b", experiment) for _ in range(90)]
        + [event(Event.REGISTRATION, "a", experiment) for _ in range(20)]
        + [event(Event.REGISTRATION, "b", experiment) for _ in range(30)]
        + [event(Event.CHECKOUT_STARTED, "a", experiment) for _ in range(5)]
        + [event(Event.CHECKOUT_STARTED, "b", experiment) for _ in range(12)]
        + [event(Event.SUBSCRIPTION_CREATED, "a", experiment, amount=50_000) for _ in range(3)]
        + [event(Event.SUBSCRIPTION_CREATED, "b", experiment, amount=50_000) for _ in range(9)]
        + [event(Event.SUBSCRIPTION_CANCELLED, "b", experiment, amount=0)]
        # Another experiment's and no experiment's events count nowhere here.
        + [event(Event.SUBSCRIPTION_CREATED, "a", experiment, other_experiment=True)]
    )
    FunnelEvent.objects.bulk_create(rows)
    a, b = experiment_results(experiment)
    assert (a.key, a.control, b.control) == ("a", True, False)
    assert (a.readers, a.gate_impressions, a.registrations, a.checkouts, a.subscriptions) == (
        100,
        40,
        20,
        5,
        3,
    )
    assert (b.readers, b.gate_impressions, b.registrations, b.checkouts, b.subscriptions) == (
        100,
        90,
        30,
        12,
        9,
    )
    assert (a.revenue_idr, b.revenue_idr) == (150_000, 450_000)
    assert b.subscription_rate.value == pytest.approx(0.09)
    assert (b.subscription_rate.low, b.subscription_rate.high) == pytest.approx(
        wilson_interval(9, 100)
    )
    assert a.registration_rate.p_value is None  # the control
    # 30/100 vs 20/100: the pooled z-test above.
    assert b.registration_rate.p_value == pytest.approx(0.10247, abs=5e-5)
