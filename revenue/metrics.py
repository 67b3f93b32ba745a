"""The subscription business in figures: one function per figure, each computed in
SQL from ``subscriptions``' tables at a moment or over a range the caller gives
(so tests pin them and the desk shows them the same way).

Definitions (the desk's help text and ``docs/architecture.md`` say the same):

- **Counted subscription**: every ``Subscription`` row except one refused as a
  duplicate (``duplicate_of`` set: it never ran).
- **Active at t**: created at or before t, and either still running (trialing,
  active, past due) or, once canceled or expired, t is before the end of its
  last period (``current_period_end``: paid or trial time is kept to the end).
- **Trialing at t**: active at t and t is before ``trial_end``.
- **Complimentary**: given by staff (``provider == "comp"``); never paying.
- **Paying at t**: active at t, not trialing, not complimentary.
- **MRR** at t: the sum of the plan's monthly price over the subscriptions paying
  at t, a yearly plan counting as its yearly price / 12 (rounded once, on the
  total); at the plan's current list price. **ARR** = 12 × MRR.
- **ARPU** at t: MRR / readers paying at t (rounded to the rupiah).
- **New** on day d: subscriptions created on d by a reader who had none before.
  **Reactivated** on d: created on d by a reader who had one before, none of
  them active at that moment (a new subscription while another is active is a
  switch: neither new nor reactivated).
  **Churned** on d: a canceled or expired subscription whose last period ended
  on d (and before now), when the reader had no other subscription active at
  that moment (a plan change is not churn).
- **Churn rate** over a range: of the readers active at the range's first
  instant, the share who churned during the range.
- **Trial-to-paid rate** over a range: of the trials that ended during the
  range (``trial_end`` in the range, before now), the share with a succeeded
  charge on that subscription.
- **Cohort retention**: readers grouped by the month of their first
  subscription; for each later month, the share of them with a subscription
  active at that month's end (or now, for the month under way).

Days, weeks and months are the newsroom's (``TIME_ZONE``); weeks start on Monday.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, When
from django.db.models.functions import TruncDate

from subscriptions.models import RUNNING_STATUSES, Payment, Subscription

from .params import DateRange, local_midnight

S = Subscription.Status
MONTH, YEAR = Subscription.Period.MONTH, Subscription.Period.YEAR
COMP_PROVIDER = "comp"


# --- The building blocks ----------------------------------------------------------------


def counted() -> QuerySet:
    """Every subscription that ran (a refused duplicate never did)."""
    return Subscription.objects.filter(duplicate_of__isnull=True)


def active_at(moment: datetime, prefix: str = "") -> Q:
    p = prefix
    return Q(**{f"{p}created_at__lte": moment}) & (
        Q(**{f"{p}status__in": RUNNING_STATUSES}) | Q(**{f"{p}current_period_end__gt": moment})
    )


def trialing_at(moment: datetime) -> Q:
    return active_at(moment) & Q(trial_end__gt=moment)


def complimentary() -> Q:
    return Q(provider=COMP_PROVIDER)


def paying_at(moment: datetime) -> Q:
    return active_at(moment) & ~Q(trial_end__gt=moment) & ~complimentary()


# --- Money -----------------------------------------------------------------------------


def yearly_values(*, moments: list[datetime]) -> list[int]:
    """Twelve times the monthly value of the subscriptions paying at each of
    ``moments``, in whole rupiah: a yearly plan's price, or 12 x a monthly
    plan's. One query. MRR is this / 12, rounded once (``mrr_from``)."""
    if not moments:
        return []
    yearly_value = Case(
        When(billing_period=YEAR, then=F("plan__price_yearly")),
        default=F("plan__price_monthly") * 12,
    )
    sums = counted().aggregate(
        **{f"m{n}": Sum(yearly_value, filter=paying_at(m)) for n, m in enumerate(moments)}
    )
    return [sums[f"m{n}"] or 0 for n in range(len(moments))]


def mrr_from(yearly_value: int) -> int:
    return round(yearly_value / 12)


def mrr_history(*, moments: list[datetime]) -> list[tuple[datetime, int]]:
    """MRR at each of ``moments``, in one query."""
    values = yearly_values(moments=moments)
    return [(m, mrr_from(v)) for m, v in zip(moments, values, strict=True)]


def mrr(*, at: datetime) -> int:
    """Monthly recurring revenue in IDR at ``at`` (see the module's definitions)."""
    return mrr_history(moments=[at])[0][1]


def arr(*, at: datetime) -> int:
    """Annual recurring revenue in IDR: 12 × MRR."""
    return 12 * mrr(at=at)


def paying_readers(*, at: datetime) -> int:
    return counted().filter(paying_at(at)).aggregate(n=Count("user", distinct=True))["n"]


def readers_history(*, moments: list[datetime]) -> list[tuple[int, int]]:
    """(active readers, paying readers) at each of ``moments``. One query."""
    if not moments:
        return []
    counts = counted().aggregate(
        **{
            f"a{n}": Count("user", distinct=True, filter=active_at(m))
            for n, m in enumerate(moments)
        },
        **{
            f"p{n}": Count("user", distinct=True, filter=paying_at(m))
            for n, m in enumerate(moments)
        },
    )
    return [(counts[f"a{n}"], counts[f"p{n}"]) for n in range(len(moments))]


def arpu(*, at: datetime) -> int:
    """Average revenue per paying reader per month, in IDR: MRR / paying readers."""
    readers = paying_readers(at=at)
    return round(mrr(at=at) / readers) if readers else 0


def month_ends(*, today: date, months: int, now: datetime) -> list[datetime]:
    """The first instant after each of the last ``months`` months up to ``today``'s,
    none later than ``now`` (the month under way ends "now")."""
    firsts = month_starts(today=today, months=months)
    return [min(local_midnight(add_months(first, 1)), now) for first in firsts]


def month_starts(*, today: date, months: int) -> list[date]:
    first = today.replace(day=1)
    return [add_months(first, -n) for n in range(months - 1, -1, -1)]


def add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


# --- Subscribers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanCount:
    plan: str
    billing_period: str
    trialing: int
    paying: int
    complimentary: int
    plan_id: int | None = None

    @property
    def total(self) -> int:
        return self.trialing + self.paying + self.complimentary


def active_by_plan(*, at: datetime) -> list[PlanCount]:
    """Readers active at ``at`` per plan and billing period: trialing, paying,
    complimentary. One query."""
    rows = (
        counted()
        .filter(active_at(at))
        .values("plan_id", "plan__name", "plan__position", "billing_period")
        .annotate(
            trialing=Count("user", distinct=True, filter=Q(trial_end__gt=at)),
            comp=Count("user", distinct=True, filter=complimentary() & ~Q(trial_end__gt=at)),
            paying=Count("user", distinct=True, filter=paying_at(at)),
        )
        .order_by("plan__position", "plan__name", "billing_period")
    )
    return [
        PlanCount(
            plan=row["plan__name"],
            billing_period=row["billing_period"],
            trialing=row["trialing"],
            paying=row["paying"],
            complimentary=row["comp"],
            plan_id=row["plan_id"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Movement:
    """New, reactivated and churned subscribers in one day or week (``starts``)."""

    starts: date
    new: int
    reactivated: int
    churned: int

    @property
    def net(self) -> int:
        return self.new + self.reactivated - self.churned


def _another_active_at(moment: OuterRef) -> Exists:
    """The reader of the outer subscription had another one active at ``moment``."""
    return Exists(
        counted()
        .filter(user=OuterRef("user"), created_at__lte=moment)
        .exclude(pk=OuterRef("pk"))
        .filter(Q(status__in=RUNNING_STATUSES) | Q(current_period_end__gt=moment))
    )


def _not_replaced() -> Exists:
    """The reader of the outer (ended) subscription had another one active when it ended."""
    return _another_active_at(OuterRef("current_period_end"))


def churned_in(*, start_at: datetime, end_at: datetime) -> QuerySet:
    """Subscriptions whose reader churned in ``[start_at, end_at)``."""
    return (
        counted()
        .filter(
            status__in=(S.CANCELED, S.EXPIRED),
            current_period_end__gte=start_at,
            current_period_end__lt=end_at,
        )
        .exclude(_not_replaced())
    )


def movements_by_day(*, days: DateRange, now: datetime) -> list[Movement]:
    """New, reactivated and churned subscribers for each day of ``days``. Three queries."""
    earlier = Exists(counted().filter(user=OuterRef("user"), created_at__lt=OuterRef("created_at")))
    # The subqueries stay in WHERE, where PostgreSQL runs them as one (anti) join
    # rather than once per row.
    started = counted().filter(created_at__gte=days.start_at, created_at__lt=days.end_at)
    new = (
        started.exclude(earlier)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
    )
    back = (
        started.filter(earlier)
        .exclude(_another_active_at(OuterRef("created_at")))
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
    )
    churned = (
        churned_in(start_at=days.start_at, end_at=min(days.end_at, now))
        .annotate(day=TruncDate("current_period_end"))
        .values("day")
        .annotate(n=Count("pk"))
    )
    new_by_day = {row["day"]: row["n"] for row in new}
    back_by_day = {row["day"]: row["n"] for row in back}
    churn = {row["day"]: row["n"] for row in churned}
    return [
        Movement(
            starts=day,
            new=new_by_day.get(day, 0),
            reactivated=back_by_day.get(day, 0),
            churned=churn.get(day, 0),
        )
        for day in days.days
    ]


def movements_by_week(*, days: DateRange, now: datetime) -> list[Movement]:
    """The days' movements summed per week (Monday first); the first and last weeks
    hold only the days inside the range."""
    return by_week(movements_by_day(days=days, now=now))


def by_week(moves: list[Movement]) -> list[Movement]:
    """Daily movements summed per week (Monday first)."""
    weeks: dict[date, list[int]] = {}
    for m in moves:
        monday = m.starts - timedelta(days=m.starts.weekday())
        total = weeks.setdefault(monday, [0, 0, 0])
        total[0] += m.new
        total[1] += m.reactivated
        total[2] += m.churned
    return [Movement(starts=k, new=v[0], reactivated=v[1], churned=v[2]) for k, v in weeks.items()]


# --- Rates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """``part`` of ``whole``; ``None`` as a share when there is no whole."""

    part: int
    whole: int

    @property
    def share(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def percent(self) -> float | None:
        return None if self.share is None else round(100 * self.share, 1)


def churn_rate(*, days: DateRange, now: datetime) -> Rate:
    """Of the readers active at the range's first instant, those who churned in it.
    Two queries."""
    active = counted().filter(active_at(days.start_at))
    return Rate(
        part=churned_readers(days=days, now=now),
        whole=active.aggregate(n=Count("user", distinct=True))["n"],
    )


def churned_readers(*, days: DateRange, now: datetime) -> int:
    """Readers active at the range's first instant who churned in it. One query."""
    start_at = days.start_at
    gone = churned_in(start_at=start_at, end_at=min(days.end_at, now)).filter(active_at(start_at))
    return gone.aggregate(n=Count("user", distinct=True))["n"]


def trial_to_paid(*, days: DateRange, now: datetime) -> Rate:
    """Of the trials that ended in the range, those whose subscription was then paid.
    Two queries."""
    paid = Exists(
        Payment.objects.filter(
            subscription=OuterRef("pk"),
            kind=Payment.Kind.CHARGE,
            status=Payment.Status.SUCCEEDED,
        )
    )
    ended = counted().filter(trial_end__gte=days.start_at, trial_end__lt=min(days.end_at, now))
    return Rate(part=ended.filter(paid).count(), whole=ended.count())


def revenue_collected(*, days: DateRange) -> int:
    """Money in over the range, in IDR: succeeded (or later refunded) charges minus
    refunds, by when the provider reported them."""
    sums = Payment.objects.filter(
        created_at__gte=days.start_at, created_at__lt=days.end_at
    ).aggregate(
        charged=Sum(
            "amount",
            filter=Q(
                kind=Payment.Kind.CHARGE,
                status__in=(Payment.Status.SUCCEEDED, Payment.Status.REFUNDED),
            ),
        ),
        refunded=Sum("amount", filter=Q(kind=Payment.Kind.REFUND, status=Payment.Status.SUCCEEDED)),
    )
    return (sums["charged"] or 0) - (sums["refunded"] or 0)


# --- Cohorts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    """Readers whose first subscription started in ``month``; ``retained[k]`` of them
    had one active at the end of the k-th month after (``None``: not yet)."""

    month: date
    readers: int
    retained: list[int | None]

    @property
    def shares(self) -> list[float | None]:
        return [
            None if kept is None or not self.readers else round(100 * kept / self.readers, 1)
            for kept in self.retained
        ]


def cohort_counts(*, starts: list[date], ends: list[datetime]) -> dict[int, tuple[int, list[int]]]:
    """For each cohort (an index into ``starts``, the months' first days, oldest
    first): its readers, and how many of them had a subscription active at each
    of ``ends``. One query, in two passes: per reader (first start, active at
    each end), then per cohort. Cohorts without readers are left out."""
    bounds = [local_midnight(first) for first in starts[1:]]
    moment = connection.ops.adapt_datetimefield_value
    running = ", ".join(["%s"] * len(RUNNING_STATUSES))
    cohort = " ".join(f"WHEN first_at < %s THEN {n}" for n in range(len(bounds)))
    actives = "".join(
        f", MAX(CASE WHEN created_at <= %s AND (status IN ({running}) OR current_period_end > %s)"
        f" THEN 1 ELSE 0 END) AS a{n}"
        for n in range(len(ends))
    )
    sums = "".join(f", SUM(a{n})" for n in range(len(ends)))
    query = f"""
        SELECT {f"CASE {cohort} ELSE {len(starts) - 1} END" if bounds else "0"} AS cohort,
               COUNT(*){sums}
        FROM (
            SELECT user_id, MIN(created_at) AS first_at{actives}
            FROM {Subscription._meta.db_table}
            WHERE duplicate_of_id IS NULL
            GROUP BY user_id
        ) per_reader
        WHERE first_at >= %s
        GROUP BY 1
    """  # noqa: S608 - a table name from the model; every value is a parameter
    params = [moment(b) for b in bounds]
    for end in ends:
        params += [moment(end), *RUNNING_STATUSES, moment(end)]
    params.append(moment(local_midnight(starts[0])))
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {row[0]: (row[1], [int(v) for v in row[2:]]) for row in cursor.fetchall()}


def cohort_retention(*, today: date, now: datetime, months: int = 12) -> list[Cohort]:
    """The last ``months`` monthly cohorts (oldest first), each with its retention
    at the end of every month since. One query (``cohort_counts``)."""
    starts = month_starts(today=today, months=months)
    ends = month_ends(today=today, months=months, now=now)
    return cohorts_from(starts, cohort_counts(starts=starts, ends=ends))


def cohorts_from(starts: list[date], counts: dict[int, tuple[int, list[int]]]) -> list[Cohort]:
    """``Cohort`` rows from ``cohort_counts`` taken at every month's end."""
    months = len(starts)
    cohorts = []
    for index, month in enumerate(starts):
        readers, actives = counts.get(index, (0, [0] * months))
        cohorts.append(
            Cohort(month=month, readers=readers, retained=actives[index:] + [None] * index)
        )
    return cohorts
