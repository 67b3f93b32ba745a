"""The desk's read models: figures per day, per day and plan, per cohort and month,
and the meter what-if's histogram, written by beat so a page reads a few hundred
rows instead of every subscription or read.

**Writing** (``write``, the beat task ``revenue.tasks.write_snapshots`` and the
command ``rebuild_revenue_snapshots``): every figure is computed by the same
functions the desk used live (``metrics``, ``whatif``), for every *complete*
day (its end, the next local midnight, has passed) of the last
``REVENUE_SNAPSHOT_DAYS`` days; a day's rows are deleted and written again in
one transaction, so a second run changes nothing (idempotent) and an older day
whose figures changed after the fact (a subscription expired late, a payment
arrived late) is corrected while it is inside that window. The command writes
any range (a backfill).

**Reading** (the functions below, called by ``pages``): a figure at a local
midnight, or of a complete day, comes from its snapshot when there is one;
anything else (the day under way, ``now``, a day beat has not written yet) is
computed live, by the same function, for only those moments or days. So a
page's numbers are the live computation's, and a page costs one query per
table plus a small live query for today.

The what-if histogram is the exception: it is the 30 days up to beat's last run
(at most ``REVENUE_HISTOGRAM_MAX_AGE`` seconds old, else computed live), and
the page says up to when.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import metrics, whatif
from .models import CohortSnapshot, DailyPlanSnapshot, DailySnapshot, MeterHistogram
from .params import DateRange, local_midnight

CHUNK_DAYS = 31  # days computed per query when writing
COHORT_MONTHS = 24  # the longest cohort table a page shows


def day_end(day: date) -> datetime:
    """The moment a day's snapshot is taken: the first instant of the next day."""
    return local_midnight(day + timedelta(days=1))


def snapshot_day(moment: datetime) -> date | None:
    """The day whose snapshot holds the state at ``moment``, if it is a local midnight."""
    local = timezone.localtime(moment)
    day = local.date()
    return day - timedelta(days=1) if local_midnight(day) == moment else None


# --- Writing ----------------------------------------------------------------------------


def write(*, now: datetime, days: int | None = None) -> dict[str, int]:
    """Beat: the last ``days`` complete days, the cohort table, the what-if histogram."""
    days = settings.REVENUE_SNAPSHOT_DAYS if days is None else days
    today = timezone.localdate(now)
    written = write_days(days=DateRange(start=today - timedelta(days=days), end=today), now=now)
    cohorts = write_cohorts(now=now)
    readers = write_histogram(now=now)
    return {"days": written, "cohort_cells": cohorts, "histogram_rows": readers}


def write_days(*, days: DateRange, now: datetime) -> int:
    """Recompute the snapshots of the complete days of ``days``; returns how many."""
    complete = [d for d in days.days if day_end(d) <= now]
    for first in range(0, len(complete), CHUNK_DAYS):
        _write_chunk(complete[first : first + CHUNK_DAYS], now=now)
    return len(complete)


def _write_chunk(chunk: list[date], *, now: datetime) -> None:
    ends = [day_end(d) for d in chunk]
    values = metrics.yearly_values(moments=ends)
    readers = metrics.readers_history(moments=ends)
    moves = {
        m.starts: m
        for m in metrics.movements_by_day(days=DateRange(start=chunk[0], end=chunk[-1]), now=now)
    }
    plans = {d: metrics.active_by_plan(at=end) for d, end in zip(chunk, ends, strict=True)}
    daily = [
        DailySnapshot(
            day=d,
            active_readers=active,
            paying_readers=paying,
            yearly_value=value,
            new=moves[d].new,
            reactivated=moves[d].reactivated,
            churned=moves[d].churned,
            computed_at=now,
        )
        for d, value, (active, paying) in zip(chunk, values, readers, strict=True)
    ]
    per_plan = [
        DailyPlanSnapshot(
            day=d,
            plan_id=p.plan_id,
            billing_period=p.billing_period,
            trialing=p.trialing,
            paying=p.paying,
            complimentary=p.complimentary,
        )
        for d, counts in plans.items()
        for p in counts
    ]
    with transaction.atomic():
        DailySnapshot.objects.filter(day__in=chunk).delete()
        DailyPlanSnapshot.objects.filter(day__in=chunk).delete()
        DailySnapshot.objects.bulk_create(daily)
        DailyPlanSnapshot.objects.bulk_create(per_plan)


def write_cohorts(*, now: datetime) -> int:
    """The retention of the last ``COHORT_MONTHS`` cohorts at every complete month's end."""
    today = timezone.localdate(now)
    starts = metrics.month_starts(today=today, months=COHORT_MONTHS)
    ends = metrics.month_ends(today=today, months=COHORT_MONTHS, now=now)
    complete = [(month, end) for month, end in zip(starts, ends, strict=True) if end < now]
    counts = metrics.cohort_counts(starts=starts, ends=[end for _m, end in complete])
    rows = [
        CohortSnapshot(cohort=cohort, month=month, readers=readers, retained=actives[k])
        for index, cohort in enumerate(starts)
        for readers, actives in [counts.get(index, (0, [0] * len(complete)))]
        for k, (month, _end) in enumerate(complete)
        if month >= cohort
    ]
    with transaction.atomic():
        CohortSnapshot.objects.all().delete()
        CohortSnapshot.objects.bulk_create(rows)
    return len(rows)


def write_histogram(*, now: datetime) -> int:
    """The what-if's histogram of the ``WINDOW_DAYS`` days up to ``now``."""
    since = now - timedelta(days=whatif.WINDOW_DAYS)
    counts = whatif.histogram(since=since, until=now)
    with transaction.atomic():
        MeterHistogram.objects.all().delete()
        MeterHistogram.objects.bulk_create(
            MeterHistogram(
                until=now, since=since, registered=registered, articles=n, readers=readers
            )
            for (registered, n), readers in counts.items()
        )
        if not counts:  # an empty window is a result too: remember when it was counted
            MeterHistogram.objects.create(
                until=now, since=since, registered=False, articles=0, readers=0
            )
    return len(counts)


# --- Reading ----------------------------------------------------------------------------


def daily_at(moments: list[datetime]) -> dict[datetime, DailySnapshot]:
    """The snapshots holding the state at those of ``moments`` that are local
    midnights, by moment. One query (none without a midnight)."""
    wanted = {snapshot_day(m): m for m in moments if snapshot_day(m) is not None}
    if not wanted:
        return {}
    return {wanted[s.day]: s for s in DailySnapshot.objects.filter(day__in=list(wanted))}


def mrr_history(*, moments: list[datetime], stored: dict) -> list[tuple[datetime, int]]:
    """``metrics.mrr_history``: ``stored`` moments (``daily_at``) from their
    snapshots, the rest live in one query."""
    rest = [m for m in moments if m not in stored]
    live = dict(zip(rest, metrics.yearly_values(moments=rest), strict=True))
    return [
        (m, metrics.mrr_from(stored[m].yearly_value if m in stored else live[m])) for m in moments
    ]


def paying_readers(*, at: datetime, stored: dict) -> int:
    return stored[at].paying_readers if at in stored else metrics.paying_readers(at=at)


def churn_rate(*, days: DateRange, now: datetime, stored: dict) -> metrics.Rate:
    """``metrics.churn_rate``: the readers active at the start from its snapshot."""
    if days.start_at not in stored:
        return metrics.churn_rate(days=days, now=now)
    return metrics.Rate(
        part=metrics.churned_readers(days=days, now=now),
        whole=stored[days.start_at].active_readers,
    )


def daily_in(days: DateRange) -> dict[date, DailySnapshot]:
    """The snapshots of the range's days, by day. One query."""
    return {s.day: s for s in DailySnapshot.objects.filter(day__gte=days.start, day__lte=days.end)}


def active_by_plan(*, at: datetime, stored: dict[date, DailySnapshot]) -> list[metrics.PlanCount]:
    """``metrics.active_by_plan``: from the plan snapshot when ``at`` is the end of
    a day in ``stored`` (``daily_in``), else live. One query."""
    day = snapshot_day(at)
    if day not in stored:
        return metrics.active_by_plan(at=at)
    rows = (
        DailyPlanSnapshot.objects.filter(day=day)
        .select_related("plan")
        .order_by("plan__position", "plan__name", "billing_period")
    )
    return [
        metrics.PlanCount(
            plan=row.plan.name,
            billing_period=row.billing_period,
            trialing=row.trialing,
            paying=row.paying,
            complimentary=row.complimentary,
            plan_id=row.plan_id,
        )
        for row in rows
    ]


def movements_by_day(
    *, days: DateRange, now: datetime, stored: dict[date, DailySnapshot]
) -> list[metrics.Movement]:
    """``metrics.movements_by_day``: the days in ``stored`` (``daily_in``) from their
    snapshots, the others (today, or a day beat has not written) live, in three
    queries over the span they cover."""
    moves = {
        day: metrics.Movement(starts=day, new=s.new, reactivated=s.reactivated, churned=s.churned)
        for day, s in stored.items()
    }
    missing = [d for d in days.days if d not in moves]
    if missing:
        span = DateRange(start=missing[0], end=missing[-1])
        moves.update(
            (m.starts, m)
            for m in metrics.movements_by_day(days=span, now=now)
            if m.starts not in moves
        )
    return [moves[d] for d in days.days]


def movements_by_week(
    *, days: DateRange, now: datetime, stored: dict[date, DailySnapshot]
) -> list[metrics.Movement]:
    return metrics.by_week(movements_by_day(days=days, now=now, stored=stored))


def cohort_retention(*, today: date, now: datetime, months: int = 12) -> list[metrics.Cohort]:
    """``metrics.cohort_retention``: the ends of past months from their snapshots,
    the month under way (its end is ``now``) live, in one single-column pass."""
    starts = metrics.month_starts(today=today, months=months)
    ends = metrics.month_ends(today=today, months=months, now=now)
    if ends[-1] < now or months == 1:
        return metrics.cohorts_from(starts, metrics.cohort_counts(starts=starts, ends=ends))
    past = starts[:-1]
    stored = {
        (c.cohort, c.month): c.retained
        for c in CohortSnapshot.objects.filter(cohort__gte=starts[0], month__in=past)
    }
    wanted = [(c, m) for i, c in enumerate(past) for m in past[i:]]
    if any(key not in stored for key in wanted):
        return metrics.cohorts_from(starts, metrics.cohort_counts(starts=starts, ends=ends))
    live = metrics.cohort_counts(starts=starts, ends=[now])
    counts = {}
    for index, cohort in enumerate(starts):
        readers, (at_now,) = live.get(index, (0, [0]))
        counts[index] = (
            readers,
            [0] * index + [stored[(cohort, m)] for m in past[index:]] + [at_now],
        )
    return metrics.cohorts_from(starts, counts)


def meter_histogram(*, now: datetime) -> tuple[whatif.Histogram, datetime]:
    """The what-if histogram and the end of its window: beat's, when recent enough."""
    max_age = timedelta(seconds=settings.REVENUE_HISTOGRAM_MAX_AGE)
    rows = list(MeterHistogram.objects.filter(until__gt=now - max_age, until__lte=now))
    if rows:
        until = max(row.until for row in rows)
        return {
            (row.registered, row.articles): row.readers
            for row in rows
            if row.until == until and row.readers
        }, until
    return whatif.histogram(since=now - timedelta(days=whatif.WINDOW_DAYS), until=now), now
