"""An experiment's results per arm, from its exposures and its funnel events.

Per arm (``paywall.ExperimentArm``):
- readers: ``paywall.Exposure`` rows (readers who met the arm's rules, once each);
- gate impressions, registrations, checkouts started, new subscriptions:
  ``FunnelEvent`` rows of that kind carrying the experiment and the arm
  (``paywall.funnel`` fills them from ``paywall.experiments.arm_of``);
- revenue in IDR: the ``amount_idr`` of the arm's ``subscription_created`` events;
- conversion rates (registrations and new subscriptions per reader) with a
  95% Wilson score interval, and for each arm but the control (the first) a
  two-proportion test against the control: Pearson's chi-square on the 2x2
  table without continuity correction (the same p-value as the pooled
  two-proportion z-test; R's ``prop.test(..., correct = FALSE)``).

The statistics come from SciPy (``scipy.stats.binomtest(...).proportion_ci(
method="wilson")`` and ``scipy.stats.chi2_contingency``), imported inside the
functions: a web worker pays for SciPy only when somebody opens the results.
Four queries per experiment, whatever the number of arms.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from paywall.funnel import Event
from paywall.models import Experiment, Exposure

from .models import FunnelEvent

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Rate:
    """``successes`` of ``trials`` with its Wilson interval; vs the control: the p-value."""

    successes: int
    trials: int
    low: float | None
    high: float | None
    p_value: float | None = None  # None for the control arm, or without data

    @property
    def value(self) -> float | None:
        return self.successes / self.trials if self.trials else None


@dataclass(frozen=True)
class ArmResult:
    key: str
    label: str
    ruleset: str
    weight: int
    control: bool
    readers: int
    gate_impressions: int
    registrations: int
    checkouts: int
    subscriptions: int
    revenue_idr: int
    registration_rate: Rate
    subscription_rate: Rate

    @property
    def rates(self) -> tuple[Rate, Rate]:
        return self.registration_rate, self.subscription_rate


def wilson_interval(successes: int, trials: int, *, confidence: float = CONFIDENCE):
    """(low, high) of the Wilson score interval; (None, None) without trials."""
    if trials <= 0:
        return None, None
    from scipy.stats import binomtest

    interval = binomtest(successes, trials).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return float(interval.low), float(interval.high)


def two_proportion_p_value(successes: int, trials: int, base: int, base_trials: int):
    """The two-sided p-value of "this arm's proportion equals the control's"
    (chi-square on the 2x2 table, no continuity correction). None when a
    margin of the table is empty (no reader in an arm, or nobody/everybody converted)."""
    table = [[successes, trials - successes], [base, base_trials - base]]
    if (
        trials <= 0
        or base_trials <= 0
        or 0 in (successes + base, trials + base_trials - successes - base)
    ):
        return None
    from scipy.stats import chi2_contingency

    return float(chi2_contingency(table, correction=False).pvalue)


def _rate(successes: int, trials: int, control: tuple[int, int] | None) -> Rate:
    successes = min(successes, trials)  # a reader may subscribe twice; a rate stays a rate
    low, high = wilson_interval(successes, trials)
    p_value = None if control is None else two_proportion_p_value(successes, trials, *control)
    return Rate(successes, trials, low, high, p_value)


def experiment_results(experiment: Experiment) -> list[ArmResult]:
    """The results of every arm, control first."""
    arms = list(experiment.arms.select_related("ruleset").order_by("position", "pk"))
    readers = dict(
        Exposure.objects.filter(experiment=experiment)
        .values_list("arm")
        .annotate(n=Count("pk"))
        .values_list("arm", "n")
    )
    kinds = {
        "gates": Event.GATE_IMPRESSION,
        "registrations": Event.REGISTRATION,
        "checkouts": Event.CHECKOUT_STARTED,
        "subscriptions": Event.SUBSCRIPTION_CREATED,
    }
    counts = {
        row["arm"]: row
        for row in FunnelEvent.objects.filter(experiment_id=experiment.pk)
        .values("arm")
        .annotate(
            **{name: Count("pk", filter=Q(kind=kind)) for name, kind in kinds.items()},
            revenue=Sum("amount_idr", filter=Q(kind=Event.SUBSCRIPTION_CREATED)),
        )
    }
    results = []
    control_counts = None
    for index, arm in enumerate(arms):
        row = counts.get(arm.key, {})
        n = readers.get(arm.key, 0)
        registrations, subscriptions = row.get("registrations", 0), row.get("subscriptions", 0)
        if index == 0:
            control_counts = (min(registrations, n), n), (min(subscriptions, n), n)
        results.append(
            ArmResult(
                key=arm.key,
                label=arm.label,
                ruleset=str(arm.ruleset),
                weight=arm.weight,
                control=index == 0,
                readers=n,
                gate_impressions=row.get("gates", 0),
                registrations=registrations,
                checkouts=row.get("checkouts", 0),
                subscriptions=subscriptions,
                revenue_idr=row.get("revenue") or 0,
                registration_rate=_rate(
                    registrations, n, None if index == 0 else control_counts[0]
                ),
                subscription_rate=_rate(
                    subscriptions, n, None if index == 0 else control_counts[1]
                ),
            )
        )
    return results
