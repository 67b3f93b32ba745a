"""The desk's snapshots (``revenue.snapshots``) hold exactly what the live
computation gives, for every day (today included, computed live), for days with
changes, and after a change made after the fact; beat's run is idempotent."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.http import QueryDict

from revenue import metrics, pages, snapshots
from revenue.models import CohortSnapshot, DailyPlanSnapshot, DailySnapshot, MeterHistogram
from revenue.params import DateRange

from .conftest import NOW, at

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
SPRING = DateRange(start=date(2026, 1, 25), end=TODAY)


def _live_day(day: date) -> dict:
    end = snapshots.day_end(day)
    (value,) = metrics.yearly_values(moments=[end])
    ((active, paying),) = metrics.readers_history(moments=[end])
    (move,) = metrics.movements_by_day(days=DateRange(start=day, end=day), now=NOW)
    plans = [
        (p.plan_id, p.billing_period, p.trialing, p.paying, p.complimentary)
        for p in metrics.active_by_plan(at=end)
    ]
    return {
        "day": day,
        "active_readers": active,
        "paying_readers": paying,
        "yearly_value": value,
        "new": move.new,
        "reactivated": move.reactivated,
        "churned": move.churned,
        "plans": plans,
    }


def _stored_day(day: date) -> dict:
    s = DailySnapshot.objects.get(day=day)
    plans = [
        (p.plan_id, p.billing_period, p.trialing, p.paying, p.complimentary)
        for p in DailyPlanSnapshot.objects.filter(day=day).order_by(
            "plan__position", "plan__name", "billing_period"
        )
    ]
    return {
        "day": day,
        "active_readers": s.active_readers,
        "paying_readers": s.paying_readers,
        "yearly_value": s.yearly_value,
        "new": s.new,
        "reactivated": s.reactivated,
        "churned": s.churned,
        "plans": plans,
    }


def _all_rows() -> list:
    return [
        sorted(m.objects.values_list(*fields))
        for m, fields in (
            (DailySnapshot, ("day", "active_readers", "paying_readers", "yearly_value", "new")),
            (DailySnapshot, ("day", "reactivated", "churned")),
            (DailyPlanSnapshot, ("day", "plan_id", "billing_period", "trialing", "paying")),
            (CohortSnapshot, ("cohort", "month", "readers", "retained")),
            (MeterHistogram, ("registered", "articles", "readers")),
        )
    ]


def _page(build, query: str, *, now=NOW):
    page = build(QueryDict(query), today=now.date(), now=now)
    return (
        [(f.label, f.value) for f in page.figures],
        [(t.name, t.rows) for t in page.tables],
    )


def test_every_complete_day_is_written_and_today_is_not(business):
    assert snapshots.write_days(days=SPRING, now=NOW) == len(SPRING.days) - 1
    assert not DailySnapshot.objects.filter(day=TODAY).exists()  # under way: live


def test_each_day_snapshot_equals_the_live_computation(business):
    snapshots.write_days(days=SPRING, now=NOW)
    # Every day, among them the days with changes: D's churn (Jun 5), G's trial
    # ending unpaid (Jun 8), J's switch (Jun 9/10), D2's reactivation (Jun 12).
    for day in SPRING.days[:-1]:
        assert _stored_day(day) == _live_day(day), day
    june_5 = _stored_day(date(2026, 6, 5))
    assert (june_5["churned"], june_5["new"]) == (1, 0)
    assert _stored_day(date(2026, 6, 12))["reactivated"] == 1


@pytest.mark.parametrize(
    ("build", "query"),
    [
        (pages.overview, "start=2026-06-01&end=2026-06-15"),  # to today: the last day live
        (pages.overview, "start=2026-05-01&end=2026-05-31"),  # all from snapshots
        (pages.subscribers, "start=2026-06-01&end=2026-06-15"),
        (pages.subscribers, "start=2026-03-01&end=2026-06-15&grain=week"),
        (pages.subscribers, "start=2026-05-01&end=2026-06-10"),
        (pages.cohorts, "months=4"),
        (pages.cohorts, "months=1"),
        (pages.whatif_page, ""),
    ],
)
def test_pages_show_the_same_numbers_from_snapshots_as_live(business, build, query):
    live = _page(build, query)
    assert snapshots.write(now=NOW, days=110)["days"] == 110
    assert _page(build, query) == live


def test_the_page_reads_the_snapshot(business):
    # Proof that the stored rows are what the page shows (not a live recount).
    snapshots.write(now=NOW)
    DailySnapshot.objects.filter(day=date(2026, 5, 31)).update(yearly_value=12 * 1_000_000)
    _figures, tables = _page(pages.overview, "start=2026-05-01&end=2026-05-31")
    mrr = dict(tables)["mrr"]
    assert (mrr[-1][0], mrr[-1][2]) == ("2026-05", 1_000_000)


def test_beat_is_idempotent(business):
    first = snapshots.write(now=NOW)
    rows = _all_rows()
    assert snapshots.write(now=NOW) == first
    assert _all_rows() == rows
    assert DailySnapshot.objects.count() == 35  # REVENUE_SNAPSHOT_DAYS complete days


def test_a_change_after_the_fact_is_corrected_by_the_next_run(business):
    snapshots.write(now=NOW)
    # A's subscription turns out to have ended on Jun 10 (a late webhook).
    a = business.subs["A"]
    a.status, a.current_period_end = "expired", at(6, 10)
    a.save()
    assert _stored_day(date(2026, 6, 12)) != _live_day(date(2026, 6, 12))
    snapshots.write(now=NOW)
    for day in DateRange(start=date(2026, 6, 1), end=date(2026, 6, 14)).days:
        assert _stored_day(day) == _live_day(day), day
    # Jun 10: A's reader churned (J's ending that day was a switch, as before).
    assert _stored_day(date(2026, 6, 10))["churned"] == 1
    live = metrics.cohort_retention(today=TODAY, now=NOW, months=4)
    assert snapshots.cohort_retention(today=TODAY, now=NOW, months=4) == live


def test_the_what_if_histogram_is_beats_until_it_is_too_old(business, settings):
    from paywall.rules import PaywallRules
    from revenue import whatif

    rules = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)
    snapshots.write_histogram(now=NOW - timedelta(minutes=5))
    counts, until = snapshots.meter_histogram(now=NOW)
    assert until == NOW - timedelta(minutes=5)
    assert whatif.replay(counts=counts, rules=rules) == whatif.meter_replay(now=until, rules=rules)
    settings.REVENUE_HISTOGRAM_MAX_AGE = 60  # beat's is now too old: counted live
    assert snapshots.meter_histogram(now=NOW)[1] == NOW


def test_the_rebuild_command_backfills_and_can_run_again(business):
    out = io.StringIO()
    call_command("rebuild_revenue_snapshots", start="2026-06-01", stdout=out)
    rows = _all_rows()
    assert DailySnapshot.objects.filter(day=date(2026, 6, 1)).exists()
    call_command("rebuild_revenue_snapshots", start="2026-06-01", stdout=out)
    assert _all_rows()[:4] == rows[:4]  # the what-if's window moved on with the clock
    assert "days from 2026-06-01" in out.getvalue()
