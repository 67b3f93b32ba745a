"""What-if of the meter: the reads of the last 30 days replayed under every
anonymous and registered allowance from 1 to 10, in one SQL statement.

Counted in SQL in three steps: the different articles each meter read in the
window, then how many readers read each number of them (a histogram of a few
rows), then every allowance against that histogram.

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
    allowances = ", ".join(f"({a})" for a in ALLOWANCES)  # constants, not input
    return f"""
        WITH per_meter AS (
            SELECT meter_id, COUNT(DISTINCT article_id) AS n
            FROM {reads}
            WHERE read_at >= %s AND read_at < %s
            GROUP BY meter_id
        ),
        histogram AS (
            SELECT CASE WHEN m.user_id IS NULL THEN 0 ELSE 1 END AS registered, p.n,
                   COUNT(*) AS readers
            FROM per_meter p JOIN {meters} m ON m.id = p.meter_id
            WHERE m.merged_into_id IS NULL
            GROUP BY 1, 2
        ),
        allowances (a) AS (VALUES {allowances})
        SELECT h.registered, al.a,
               SUM(h.readers),
               SUM(CASE WHEN h.n >= al.a THEN h.readers ELSE 0 END),
               SUM(CASE WHEN h.n > al.a THEN (h.n - al.a) * h.readers ELSE 0 END)
        FROM histogram h CROSS JOIN allowances al
        GROUP BY h.registered, al.a
    """  # noqa: S608 - table names from the models, allowances are constants


def meter_replay(*, now: datetime, rules: PaywallRules, days: int = WINDOW_DAYS) -> list[Replay]:
    """Anonymous rows (allowance 1..10), then registered ones. One query."""
    since = now - timedelta(days=days)
    with connection.cursor() as cursor:
        moment = connection.ops.adapt_datetimefield_value
        cursor.execute(_sql(), [moment(since), moment(now)])
        found = {(bool(row[0]), row[1]): row[2:] for row in cursor.fetchall()}
    replay = []
    for registered in (False, True):
        current = rules.allowance_for(authenticated=registered)
        for allowance in ALLOWANCES:
            readers, at_wall, gates = found.get((registered, allowance), (0, 0, 0))
            replay.append(
                Replay(
                    registered=registered,
                    allowance=allowance,
                    readers=readers,
                    at_wall=at_wall or 0,
                    gate_impressions=gates or 0,
                    is_current=allowance == current,
                    is_lower_bound=allowance > current,
                )
            )
    return replay
