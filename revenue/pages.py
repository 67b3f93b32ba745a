"""The desk's pages: for each, the figures, charts and tables it shows, built from
the figure functions (``metrics``, ``funnel``, ``whatif``, ``timeline``) for
the query parameters it was given. The views only check access, call these and
render (or export one table as CSV).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from paywall.funnel import Event
from paywall.rules import current_rules

from . import charts, funnel, metrics, snapshots, timeline, whatif
from .params import DateRange, choice, date_range, whole_number
from .tables import DAY, IDR, INT, MOMENT, PERCENT, Column, Table, display


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    help: str = ""


@dataclass
class Page:
    slug: str
    title: str
    days: DateRange | None = None
    figures: list[Figure] = field(default_factory=list)
    charts: list = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    definitions: list[tuple[str, str]] = field(default_factory=list)
    choices: dict[str, tuple[str, list[tuple[str, str]]]] = field(default_factory=dict)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


# The pages, in the order of the desk's navigation.
PAGES = (
    ("overview", gettext_lazy("Overview")),
    ("subscribers", gettext_lazy("Subscribers")),
    ("cohorts", gettext_lazy("Cohorts")),
    ("funnel", gettext_lazy("Funnel")),
    ("articles", gettext_lazy("Articles")),
    ("whatif", gettext_lazy("Meter what-if")),
    ("timeline", gettext_lazy("Timeline")),
)


def _idr(value: int) -> str:
    return display(value, IDR)


def _n(value: int) -> str:
    return display(value, INT)


def _pct(rate: metrics.Rate) -> str:
    return display(rate.percent, PERCENT) + (
        f" ({_n(rate.part)}/{_n(rate.whole)})" if rate.whole else ""
    )


def _day(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


DEFINITIONS = {
    "active": (
        gettext_lazy("Active"),
        gettext_lazy(
            "A subscription is active from its start while it runs (trialing, active, past "
            "due) and, once canceled or expired, until the end of its last paid or trial "
            "period. Subscriptions refused as duplicates never count."
        ),
    ),
    "paying": (
        gettext_lazy("Paying"),
        gettext_lazy(
            "Active, not in its trial, and not complimentary (given by staff without payment)."
        ),
    ),
    "mrr": (
        gettext_lazy("MRR"),
        gettext_lazy(
            "Monthly recurring revenue: the plans' monthly prices summed over the paying "
            "subscriptions; a yearly plan counts its yearly price divided by 12. Current list "
            "prices. ARR is 12 × MRR."
        ),
    ),
    "arpu": (
        gettext_lazy("ARPU"),
        gettext_lazy("Average revenue per paying reader per month: MRR / paying readers."),
    ),
    "movements": (
        gettext_lazy("New, reactivated, churned"),
        gettext_lazy(
            "New: a subscription started by a reader who never had one. Reactivated: "
            "started by a reader who had one before, none of them active then (a new "
            "subscription while another is active is a switch, neither). Churned: a "
            "canceled or expired subscription's last period ended that day and the "
            "reader had no other subscription active then (changing plan is not churn)."
        ),
    ),
    "churn": (
        gettext_lazy("Churn rate"),
        gettext_lazy(
            "Of the readers with an active subscription at the start of the range, the "
            "share who churned during it."
        ),
    ),
    "trial": (
        gettext_lazy("Trial-to-paid rate"),
        gettext_lazy(
            "Of the trials that ended in the range, the share whose subscription then had a "
            "successful charge."
        ),
    ),
    "collected": (
        gettext_lazy("Revenue collected"),
        gettext_lazy(
            "Charges reported in the range (including those later refunded) minus the "
            "refunds reported in it."
        ),
    ),
    "cohorts": (
        gettext_lazy("Cohort retention"),
        gettext_lazy(
            "Readers grouped by the month of their first subscription; each later column is "
            "the share of them with an active subscription at the end of that month (for "
            "the current month: now)."
        ),
    ),
    "funnel": (
        gettext_lazy("Funnel"),
        gettext_lazy(
            "Events recorded on the range's days, from the daily roll-up: gate shown, "
            "subscribe click, registration, checkout started, subscription created. Each "
            "step as a share of the gates shown and of the step before."
        ),
    ),
    "attribution": (
        gettext_lazy("Converting articles"),
        gettext_lazy(
            "New subscriptions started in the range, credited to one article each by the "
            "chosen model (first or last touch), and the rupiah credited. An article with two "
            "authors counts for both; a section or author is the article's."
        ),
    ),
    "whatif": (
        gettext_lazy("Meter what-if"),
        gettext_lazy(
            "The metered reads of the last 30 days replayed under each allowance: readers who "
            "read at least that many different metered articles reach the wall; each read "
            "beyond the allowance would have been a gate shown. Above today's allowance the "
            "reads were already stopped at today's wall, so those counts are lower bounds."
        ),
    ),
    "timeline": (
        gettext_lazy("Timeline"),
        gettext_lazy(
            "Paywall rule versions by the time they came into force (who, why, how the "
            "allowances changed) and experiments created, started, stopped and promoted."
        ),
    ),
}


def _definitions(*keys: str) -> list[tuple[str, str]]:
    return [(str(DEFINITIONS[k][0]), str(DEFINITIONS[k][1])) for k in keys]


# --- The pages -----------------------------------------------------------------------------


def overview(query, *, today, now: datetime) -> Page:
    days = date_range(query, today=today)
    at = min(days.end_at, now)
    months = metrics.month_starts(today=days.end, months=12)
    ends = metrics.month_ends(today=days.end, months=12, now=at)
    stored = snapshots.daily_at([*ends, days.start_at])
    history = snapshots.mrr_history(moments=ends, stored=stored)
    mrr = history[-1][1]  # the last month ends at ``at``
    paying = snapshots.paying_readers(at=at, stored=stored)
    churn = snapshots.churn_rate(days=days, now=now, stored=stored)
    trials = metrics.trial_to_paid(days=days, now=now)
    collected = metrics.revenue_collected(days=days)
    page = Page(slug="overview", title=_("Revenue desk"), days=days)
    page.figures = [
        Figure(_("MRR"), _idr(mrr), _("at the end of the range")),
        Figure(_("ARR"), _idr(12 * mrr)),
        Figure(_("Paying readers"), _n(paying)),
        Figure(_("ARPU"), _idr(round(mrr / paying) if paying else 0)),
        Figure(_("Churn rate"), _pct(churn)),
        Figure(_("Trial-to-paid rate"), _pct(trials)),
        Figure(_("Revenue collected"), _idr(collected)),
    ]
    labels = [date_format(month, "YEAR_MONTH_FORMAT") for month in months]
    page.charts = [
        charts.lines(
            chart_id="mrr",
            title=_("MRR over the last 12 months"),
            desc=_("MRR at the end of each month, in rupiah; the table below has the numbers."),
            labels=labels,
            series=[charts.Series(_("MRR"), [v for _m, v in history])],
        )
    ]
    page.tables = [
        Table(
            name="mrr",
            title=_("MRR by month"),
            columns=[
                Column("month", _("Month")),
                Column("measured_at", _("Measured at"), MOMENT),
                Column("mrr_idr", _("MRR"), IDR),
                Column("arr_idr", _("ARR"), IDR),
            ],
            rows=[
                [month.strftime("%Y-%m"), moment, value, 12 * value]
                for month, (moment, value) in zip(months, history, strict=True)
            ],
        )
    ]
    page.definitions = _definitions(
        "active", "paying", "mrr", "arpu", "churn", "trial", "collected"
    )
    return page


def subscribers(query, *, today, now: datetime) -> Page:
    days = date_range(query, today=today)
    grain = choice(query, "grain", ("day", "week"), "day")
    at = min(days.end_at, now)
    stored = snapshots.daily_in(days)
    # The movements' CSV does not need today's live count per plan.
    exporting_movements = query.get("format") == "csv" and query.get("table") == "movements"
    plans = [] if exporting_movements else snapshots.active_by_plan(at=at, stored=stored)
    if grain == "week":
        moves = snapshots.movements_by_week(days=days, now=now, stored=stored)
    else:
        moves = snapshots.movements_by_day(days=days, now=now, stored=stored)
    page = Page(slug="subscribers", title=_("Subscribers"), days=days)
    periods = {"month": _("monthly"), "year": _("yearly")}
    page.choices = {
        "grain": (grain, [("day", _("per day")), ("week", _("per week"))]),
    }
    labels = [_day(m.starts) for m in moves]
    page.charts = [
        charts.columns(
            chart_id="movements",
            title=_("New, reactivated and churned subscribers"),
            desc=_("One group of columns per %(grain)s; the table below has the numbers.")
            % {"grain": _("day") if grain == "day" else _("week")},
            labels=labels,
            series=[
                charts.Series(_("New"), [m.new for m in moves]),
                charts.Series(_("Reactivated"), [m.reactivated for m in moves]),
                charts.Series(_("Churned"), [m.churned for m in moves]),
            ],
        )
    ]
    page.tables = [
        Table(
            name="plans",
            title=_("Active subscribers by plan and billing period"),
            columns=[
                Column("plan", _("Plan")),
                Column("billing_period", _("Billing")),
                Column("trialing", _("Trialing"), INT),
                Column("paying", _("Paying"), INT),
                Column("complimentary", _("Complimentary"), INT),
                Column("total", _("Total"), INT),
            ],
            rows=[
                [
                    p.plan,
                    periods.get(p.billing_period, p.billing_period),
                    p.trialing,
                    p.paying,
                    p.complimentary,
                    p.total,
                ]
                for p in plans
            ],
        ),
        Table(
            name="movements",
            title=_("New, reactivated and churned"),
            columns=[
                Column("starts", _("Day") if grain == "day" else _("Week from"), DAY),
                Column("new", _("New"), INT),
                Column("reactivated", _("Reactivated"), INT),
                Column("churned", _("Churned"), INT),
                Column("net", _("Net"), INT),
            ],
            rows=[[m.starts, m.new, m.reactivated, m.churned, m.net] for m in moves],
        ),
    ]
    page.definitions = _definitions("active", "paying", "movements")
    return page


def cohorts(query, *, today, now: datetime) -> Page:
    months = whole_number(query, "months", default=12, low=1, high=24)
    rows = snapshots.cohort_retention(today=today, now=now, months=months)
    page = Page(slug="cohorts", title=_("Cohort retention"))
    columns = [Column("cohort", _("First month")), Column("readers", _("Readers"), INT)]
    columns += [Column(f"month_{k}", _("+%(k)s") % {"k": k}, PERCENT) for k in range(months)]
    page.tables = [
        Table(
            name="cohorts",
            title=_("Share of each cohort still subscribed, by month since the first"),
            columns=columns,
            rows=[[c.month.strftime("%Y-%m"), c.readers, *c.shares] for c in rows],
        )
    ]
    page.definitions = _definitions("cohorts")
    return page


def funnel_page(query, *, today, now: datetime) -> Page:
    days = date_range(query, today=today)
    totals = funnel.event_totals(days=days)
    steps = funnel.funnel_steps(totals=totals)
    by_day = funnel.funnel_by_day(days=days)
    reasons = funnel.gates_by_reason(days=days)
    page = Page(slug="funnel", title=_("Funnel"), days=days)

    def total(kind) -> int:
        return totals.get(kind, {}).get("events", 0)

    page.figures = [
        Figure(_("Gates shown"), _n(total(Event.GATE_IMPRESSION))),
        Figure(_("Meter exhausted"), _n(total(Event.METER_EXHAUSTED))),
        Figure(_("Subscriptions created"), _n(total(Event.SUBSCRIPTION_CREATED))),
        Figure(
            _("Their first payments"),
            _idr(totals.get(Event.SUBSCRIPTION_CREATED, {}).get("amount", 0) or 0),
        ),
        Figure(_("Cancellations"), _n(total(Event.SUBSCRIPTION_CANCELLED))),
    ]
    page.charts = [
        charts.columns(
            chart_id="steps",
            title=_("The funnel, from the gate to a subscription"),
            desc=_("Events of each step over the range; the table below has the numbers."),
            labels=[s.label for s in steps],
            series=[charts.Series(_("Events"), [s.events for s in steps])],
        ),
        charts.columns(
            chart_id="created",
            title=_("Subscriptions created per day"),
            desc=_("From the funnel's daily roll-up; the table below has the numbers."),
            labels=[_day(d) for d in days.days],
            series=[
                charts.Series(
                    _("Subscriptions created"),
                    [by_day[Event.SUBSCRIPTION_CREATED].get(d, 0) for d in days.days],
                )
            ],
        ),
    ]
    page.tables = [
        Table(
            name="steps",
            title=_("Steps"),
            columns=[
                Column("step", _("Step")),
                Column("events", _("Events"), INT),
                Column("percent_of_gates", _("% of gates shown"), PERCENT),
                Column("percent_of_previous", _("% of the step before"), PERCENT),
            ],
            rows=[[s.label, s.events, s.of_first, s.of_previous] for s in steps],
        ),
        Table(
            name="days",
            title=_("Steps per day"),
            columns=[Column("day", _("Day"), DAY)]
            + [Column(str(kind), str(Event(kind).label), INT) for kind in funnel.STEPS],
            rows=[[d, *(by_day[kind].get(d, 0) for kind in funnel.STEPS)] for d in days.days],
        ),
        Table(
            name="reasons",
            title=_("Gates shown by reason"),
            columns=[Column("reason", _("Reason")), Column("events", _("Events"), INT)],
            rows=[[reason or "–", n] for reason, n in reasons],
        ),
    ]
    page.definitions = _definitions("funnel")
    return page


def articles(query, *, today, now: datetime) -> Page:
    days = date_range(query, today=today)
    model = choice(query, "model", ("last_touch", "first_touch"), "last_touch")
    page = Page(slug="articles", title=_("Converting articles"), days=days)
    page.choices = {
        "model": (model, [("last_touch", _("last touch")), ("first_touch", _("first touch"))]),
    }

    def credits_table(name, title, first, rows):
        return Table(
            name=name,
            title=title,
            columns=[
                Column("id" if name == "articles" else "slug", _("Id")),
                Column("name", first),
                Column("subscriptions", _("Subscriptions"), INT),
                Column("credited_idr", _("Credited"), IDR),
            ],
            rows=[[c.key, c.name, c.subscriptions, c.credited_idr] for c in rows],
        )

    found = funnel.credits(days=days, model=model)
    page.tables = [
        credits_table(
            "articles",
            _("Top articles"),
            _("Article"),
            funnel.top_articles(days=days, model=model, found=found),
        ),
        credits_table(
            "sections",
            _("Top sections"),
            _("Section"),
            funnel.top_sections(days=days, model=model, found=found),
        ),
        credits_table(
            "authors",
            _("Top authors"),
            _("Author"),
            funnel.top_authors(days=days, model=model, found=found),
        ),
    ]
    page.definitions = _definitions("attribution")
    return page


def whatif_page(query, *, today, now: datetime) -> Page:
    rules = current_rules(now=now)
    counts, until = snapshots.meter_histogram(now=now)
    replay = whatif.replay(counts=counts, rules=rules)
    window = DateRange(start=(now - timedelta(days=whatif.WINDOW_DAYS)).date(), end=today)
    totals = funnel.event_totals(days=window)
    page = Page(slug="whatif", title=_("Meter what-if"))

    def observed(kind) -> int:
        return totals.get(kind, {}).get("events", 0)

    page.figures = [
        Figure(_("Anonymous allowance now"), _n(rules.anonymous_allowance)),
        Figure(_("Registered allowance now"), _n(rules.registered_allowance)),
        Figure(_("Gates shown (observed)"), _n(observed(Event.GATE_IMPRESSION))),
        Figure(_("Registrations (observed)"), _n(observed(Event.REGISTRATION))),
        Figure(_("Subscriptions created (observed)"), _n(observed(Event.SUBSCRIPTION_CREATED))),
        Figure(_("Reads counted up to"), display(until, MOMENT)),
    ]
    kinds = ((False, "anonymous", _("Anonymous readers")), (True, "registered", _("Registered")))
    page.charts = [
        charts.columns(
            chart_id="whatif",
            title=_("Readers who would reach the wall, by allowance"),
            desc=_("Reads of the last 30 days replayed; the tables below have the numbers."),
            labels=[str(a) for a in whatif.ALLOWANCES],
            series=[
                charts.Series(label, [r.at_wall for r in replay if r.registered is registered])
                for registered, _key, label in kinds
            ],
        )
    ]
    for registered, key, label in kinds:
        page.tables.append(
            Table(
                name=key,
                title=label,
                columns=[
                    Column("allowance", _("Allowance"), INT),
                    Column("readers", _("Readers"), INT),
                    Column("at_wall", _("Reach the wall"), INT),
                    Column("at_wall_percent", _("% of readers"), PERCENT),
                    Column("gate_impressions", _("Gates shown"), INT),
                    Column("note", _("Note")),
                ],
                rows=[
                    [
                        r.allowance,
                        r.readers,
                        r.at_wall,
                        r.at_wall_percent,
                        r.gate_impressions,
                        _("now") if r.is_current else (_("at least") if r.is_lower_bound else ""),
                    ]
                    for r in replay
                    if r.registered is registered
                ],
            )
        )
    page.definitions = _definitions("whatif")
    return page


def timeline_page(query, *, today, now: datetime) -> Page:
    days = date_range(query, today=today, default_days=365)
    entries = timeline.timeline(start_at=days.start_at, end_at=days.end_at)
    page = Page(slug="timeline", title=_("Timeline"), days=days)
    kinds = {"rules": _("Rules"), "experiment": _("Experiment")}
    page.tables = [
        Table(
            name="changes",
            title=_("Rule versions and experiments"),
            columns=[
                Column("at", _("When"), MOMENT),
                Column("kind", _("Kind")),
                Column("what", _("What")),
                Column("change", _("Change")),
                Column("who", _("Who")),
                Column("why", _("Why")),
            ],
            rows=[[e.at, kinds[e.kind], e.title, e.change, e.who, e.why] for e in entries],
        )
    ]
    page.definitions = _definitions("timeline")
    return page


BUILDERS = {
    "overview": overview,
    "subscribers": subscribers,
    "cohorts": cohorts,
    "funnel": funnel_page,
    "articles": articles,
    "whatif": whatif_page,
    "timeline": timeline_page,
}
