"""Every subscription figure of the desk against the hand-computed business in
``conftest.py`` (the computation is written next to each assertion)."""

from datetime import date

import pytest

from revenue import metrics
from revenue.params import DateRange

from .conftest import NOW, at

pytestmark = pytest.mark.django_db

JUNE = DateRange(start=date(2026, 6, 1), end=date(2026, 6, 15))


def test_mrr_counts_paying_subscriptions_with_yearly_plans_by_the_month(business):
    # Paying at NOW: A, F (trial over), I (canceled, paid up), J2 at 65,000 a month;
    # D2 at 25,000; B yearly 650,000 / 12 = 54,166.67.
    # Not paying: C (trialing), E (complimentary), D, G, J (ended), A's duplicate.
    # 4 * 65,000 + 25,000 + round(650,000 / 12) = 285,000 + 54,167 = 339,167.
    assert metrics.mrr(at=NOW) == 339_167
    assert metrics.arr(at=NOW) == 12 * 339_167


def test_paying_readers_and_arpu(business):
    # Readers A, B, D (D2), F, I, J (J2): 6. ARPU = 339,167 / 6 = 56,527.8 -> 56,528.
    assert metrics.paying_readers(at=NOW) == 6
    assert metrics.arpu(at=NOW) == 56_528


def test_mrr_history_at_month_ends(business):
    # Apr 1 00:00: A only (J was Ad-free monthly too) -> 65,000 + 25,000 = 90,000.
    # May 1 00:00: A, J, B (since Apr 10) -> 90,000 + 54,167 = 144,167.
    # (D starts May 1 at 10:00, after midnight.)
    moments = [at(4, 1, 0), at(5, 1, 0)]
    assert metrics.mrr_history(moments=moments) == [
        (moments[0], 90_000),
        (moments[1], 144_167),
    ]


def test_mrr_is_zero_without_subscriptions(db):
    assert metrics.mrr(at=NOW) == 0
    assert metrics.arpu(at=NOW) == 0


def test_active_subscribers_by_plan_and_billing_period(business):
    # Ad-free monthly: C trialing, D2 paying, E complimentary -> 1, 1, 1.
    # Premium monthly: A, F, I, J2 paying -> 4. Premium yearly: B -> 1.
    # Ordered by plan position (Ad-free 1, Premium 2) then billing period.
    rows = [
        (r.plan, r.billing_period, r.trialing, r.paying, r.complimentary, r.total)
        for r in metrics.active_by_plan(at=NOW)
    ]
    assert rows == [
        ("Ad-free", "month", 1, 1, 1, 3),
        ("Premium", "month", 0, 4, 0, 4),
        ("Premium", "year", 0, 1, 0, 1),
    ]


def test_new_reactivated_and_churned_per_day(business):
    # Started in June (the duplicate never counts):
    #   Jun 1: E, G (first ever) -> new 2;  Jun 3: I -> new 1;  Jun 10: C -> new 1;
    #   Jun 9: J2 while J1 ran -> a switch, neither;  Jun 12: D2 after D ended -> reactivated.
    # Ended in June: D on Jun 5 (nothing else running) and G on Jun 8 -> churned;
    #   J1 on Jun 10 while J2 ran -> not churn.
    moves = {
        m.starts.day: (m.new, m.reactivated, m.churned)
        for m in metrics.movements_by_day(days=JUNE, now=NOW)
    }
    assert len(moves) == 15
    assert {day: v for day, v in moves.items() if v != (0, 0, 0)} == {
        1: (2, 0, 0),
        3: (1, 0, 0),
        5: (0, 0, 1),
        8: (0, 0, 1),
        10: (1, 0, 0),
        12: (0, 1, 0),
    }


def test_new_reactivated_and_churned_per_week(business):
    # 2026-06-01 is a Monday. Week of Jun 1: new 2 + 1, churned D -> (3, 0, 1).
    # Week of Jun 8: new C, reactivated D2, churned G -> (1, 1, 1). Jun 15 alone: nothing.
    weeks = [
        (m.starts, m.new, m.reactivated, m.churned, m.net)
        for m in metrics.movements_by_week(days=JUNE, now=NOW)
    ]
    assert weeks == [
        (date(2026, 6, 1), 3, 0, 1, 2),
        (date(2026, 6, 8), 1, 1, 1, 1),
        (date(2026, 6, 15), 0, 0, 0, 0),
    ]


def test_churn_is_counted_only_once_the_period_has_ended(business):
    # Ask at Jun 5 09:00: D's period ends at 10:00, so nothing has churned yet.
    moves = metrics.movements_by_day(days=JUNE, now=at(6, 5, 9))
    assert sum(m.churned for m in moves) == 0


def test_churn_rate(business):
    # Active at Jun 1 00:00: A, B, D, F, J (E and G start at 10:00) -> 5 readers.
    # Churned in June among them: D (Jun 5). J's end was a switch. -> 1 / 5 = 20 %.
    rate = metrics.churn_rate(days=JUNE, now=NOW)
    assert (rate.part, rate.whole, rate.percent) == (1, 5, 20.0)


def test_trial_to_paid_rate(business):
    # Trials ending Jun 1..15 before NOW: G (Jun 8, never paid) -> 0 / 1.
    # (C's ends Jun 17, after NOW.) May 1..Jun 15 adds F (May 27, paid) -> 1 / 2.
    june = metrics.trial_to_paid(days=JUNE, now=NOW)
    assert (june.part, june.whole, june.percent) == (0, 1, 0.0)
    since_may = metrics.trial_to_paid(days=DateRange(date(2026, 5, 1), date(2026, 6, 15)), now=NOW)
    assert (since_may.part, since_may.whole, since_may.percent) == (1, 2, 50.0)


def test_rates_without_readers_have_no_share(db):
    rate = metrics.churn_rate(days=JUNE, now=NOW)
    assert (rate.whole, rate.share, rate.percent) == (0, None, None)


def test_revenue_collected(business):
    # June charges: A 65,000 + I 65,000 (later refunded, still charged) + J2 65,000
    # + D2 25,000 = 220,000; minus I's refund 65,000 = 155,000. G's failed charge and
    # F's May charge do not count.
    assert metrics.revenue_collected(days=JUNE) == 155_000


def test_cohort_retention(business):
    # First subscriptions: A Mar; B Apr; D, F May; C, E, G, I Jun (J's is Feb: not shown).
    # Checkpoints: Apr 1, May 1, Jun 1 (00:00) and NOW for June.
    #   Mar {A}: active at every checkpoint -> 100, 100, 100, 100.
    #   Apr {B}: 100, 100, 100.
    #   May {D, F}: Jun 1 both; NOW D back through D2, F -> 100, 100.
    #   Jun {C, E, G, I}: NOW C (trial), E (comp), I (paid up); G ended -> 3/4 = 75.
    cohorts = metrics.cohort_retention(today=date(2026, 6, 15), now=NOW, months=4)
    assert [(c.month, c.readers, c.retained, c.shares) for c in cohorts] == [
        (date(2026, 3, 1), 1, [1, 1, 1, 1], [100.0, 100.0, 100.0, 100.0]),
        (date(2026, 4, 1), 1, [1, 1, 1, None], [100.0, 100.0, 100.0, None]),
        (date(2026, 5, 1), 2, [2, 2, None, None], [100.0, 100.0, None, None]),
        (date(2026, 6, 1), 4, [3, None, None, None], [75.0, None, None, None]),
    ]


def test_cohorts_of_an_empty_database(db):
    cohorts = metrics.cohort_retention(today=date(2026, 6, 15), now=NOW, months=3)
    assert [(c.readers, c.retained) for c in cohorts] == [
        (0, [0, 0, 0]),
        (0, [0, 0, None]),
        (0, [0, None, None]),
    ]
