"""The window of dates an input may name: the API's filters and cursors, the
admin's list filters.

A date at the edge of the calendar (year 1 or 9999) is a valid Python
``datetime``, but turning it into UTC (SQLite's adapter) or into a year in
another zone (PostgreSQL) overflows, which used to end in a 500. A newspaper
has nothing before 1900 or after 2999, and no zone is more than 14 hours off
UTC, so anything outside that window is refused where it comes in, as bad input.
"""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
WINDOW_TEXT = "between 1900 and 2999"
MAX_OFFSET = timedelta(hours=14)


def moment_in_window(value: datetime | date) -> datetime:
    """``value`` as an aware datetime, or ``ValueError`` when it is outside the window.

    A naive value (or a bare date, taken as its midnight) is in the current time zone.
    """
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - made aware below
    try:
        aware = timezone.make_aware(value) if timezone.is_naive(value) else value
        in_utc = aware.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"Dates must be {WINDOW_TEXT}.") from exc
    if not EARLIEST <= in_utc <= LATEST:
        raise ValueError(f"Dates must be {WINDOW_TEXT}.")
    if abs(aware.utcoffset()) > MAX_OFFSET:
        # Python allows ±23:59, PostgreSQL only ±15:59; real zones stay within ±14:00.
        raise ValueError("Time-zone offsets must be within ±14:00.")
    return aware


def year_in_window(year: int) -> bool:
    return EARLIEST.year <= year <= LATEST.year
