"""Rebuild the revenue desk's snapshots: every complete day of a range (a backfill),
the cohort table and the what-if histogram. Idempotent: run it as often as needed."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from revenue import snapshots
from revenue.params import DateRange


class Command(BaseCommand):
    help = "Rebuild the revenue desk's daily, cohort and what-if snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=366, help="days back from today")
        parser.add_argument("--start", help="first day, YYYY-MM-DD (instead of --days)")

    def handle(self, *args, days: int, start: str | None, **options):
        now = timezone.now()
        today = timezone.localdate(now)
        try:
            first = date.fromisoformat(start) if start else today - timedelta(days=days)
        except ValueError:
            raise CommandError(
                f"--start must be a date written YYYY-MM-DD, not {start!r}"
            ) from None
        if first > today:
            raise CommandError("--start comes after today")
        written = snapshots.write_days(days=DateRange(start=first, end=today), now=now)
        cells = snapshots.write_cohorts(now=now)
        rows = snapshots.write_histogram(now=now)
        self.stdout.write(
            f"{written} days from {first}, {cells} cohort cells, {rows} what-if rows written"
        )
