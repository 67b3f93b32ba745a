"""What-if of the meter: the reads of the last 30 days replayed under every
anonymous and registered allowance from 1 to 10, in one SQL statement.

Counted in two steps: in SQL, the different articles each meter read in the
window, then how many readers read each number of them (a histogram of a few
rows, ``histogram``); then, in Python, every allowance against that histogram
(``replay``). Beat stores the histogram of the 30 days up to its run
(``revenue.snapshots``), so the desk's page reads a few rows, not every read;
a replay for rules someone just typed needs only the histogram too.

For each reader (a meter: an anonymous cookie, or an account; anonymous meters
merged into an account at sign-in are left out, their reads moved) we count the
different metered articles they read in the window (``n``). Under an
allowance ``a``:

- the reader **reaches the wall** when ``n >= a`` (their allowance is used up:
  their next metered article is gated). The rules admin's what-if
  (``paywall.rulesets.rules_what_if``) counts the same way.
- they would have met the gate ``max(n - a, 0)`` times at least: once per read
  beyond the allowance (**gate impressions**).

Readers were stopped by the rule in force, so above the current allowance the
replay knows only the reads the current wall let through: its counts there are
lower bounds. Beside the replay, the funnel's observed figures for the same
days under the rules that were in force: gate impressions, registrations and
new subscriptions.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

from paywall.models import Meter, MeterRead
from paywall.rules import PaywallRules

ALLOWANCES = tuple(range(1, 11))
WINDOW_DAYS = 30


@dataclass(frozen=True)
class Replay:
    """One reader kind under one allowance."""

    registered: bool
    allowance: int
    readers: int  # readers with at least one metered read in the window
    at_wall: int  # readers who would reach the wall
    gate_impressions: int  # reads beyond the allowance
    is_current: bool
    is_lower_bound: bool

    @property
    def at_wall_percent(self) -> float | None:
        return round(100 * self.at_wall / self.readers, 1) if self.readers else None


def _sql() -> str:
    reads, meters = MeterRead._meta.db_table, Meter._meta.db_table
    return f"""
        WITH per_meter AS (
            SELECT meter_id, COUNT(DISTINCT article_id) AS n
            FROM {reads}
            WHERE read_at >= %s AND read_at < %s
            GROUP BY meter_id
        )
        SELECT CASE WHEN m.user_id IS NULL THEN 0 ELSE 1 END AS registered, p.n,
               COUNT(*) AS readers
        FROM per_meter p JOIN {meters} m ON m.id = p.meter_id
        WHERE m.merged_into_id IS NULL
        GROUP BY 1, 2
    """  # noqa: S608 - table names from the models


# (registered, different articles read) -> readers
Histogram = dict[tuple[bool, int], int]


def histogram(*, since: datetime, until: datetime) -> Histogram:
    """How many readers of each kind read each number of different metered
    articles in ``[since, until)``: a few dozen rows. One query over the reads."""
    with connection.cursor() as cursor:
        moment = connection.ops.adapt_datetimefield_value
        cursor.execute(_sql(), [moment(since), moment(until)])
        return {(bool(row[0]), int(row[1])): int(row[2]) for row in cursor.fetchall()}


def replay(*, counts: Histogram, rules: PaywallRules) -> list[Replay]:
    """Every allowance against a histogram: anonymous rows (allowance 1..10), then
    registered ones. No query: ``rules`` may be the ones in force or any typed in."""
    out = []
    for registered in (False, True):
        current = rules.allowance_for(authenticated=registered)
        mine = [(n, readers) for (reg, n), readers in counts.items() if reg is registered]
        for allowance in ALLOWANCES:
            out.append(
                Replay(
                    registered=registered,
                    allowance=allowance,
                    readers=sum(readers for _n, readers in mine),
                    at_wall=sum(readers for n, readers in mine if n >= allowance),
                    gate_impressions=sum((n - allowance) * r for n, r in mine if n > allowance),
                    is_current=allowance == current,
                    is_lower_bound=allowance > current,
                )
            )
    return out


def meter_replay(*, now: datetime, rules: PaywallRules, days: int = WINDOW_DAYS) -> list[Replay]:
    """The reads of the ``days`` days before ``now`` replayed. One query."""
    counts = histogram(since=now - timedelta(days=days), until=now)
    return replay(counts=counts, rules=rules)
