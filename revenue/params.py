"""What a desk page may be asked for in its query string, read once and checked.

Every page takes a date range (``start`` and ``end``, ISO dates, both
included, in the newsroom's time zone) and an output ``format`` (``html`` or
``csv``); some take a choice (``grain``, ``model``, ``table``). Anything else
is refused with ``BadParameter``, which the views answer with a 400 and its
reason: never a 500, never a silently different page.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

# The longest range a page computes: it bounds the rows a query groups and the
# buckets a chart draws.
MAX_DAYS = 366
DEFAULT_DAYS = 30
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)


class BadParameter(ValueError):
    """A query parameter the desk cannot answer; the message says why."""


@dataclass(frozen=True)
class DateRange:
    """Local days ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        """The first instant of ``start`` in the newsroom's time zone."""
        return local_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """The first instant after ``end`` (the range is ``[start_at, end_at)``)."""
        return local_midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def query(self) -> str:
        return f"start={self.start.isoformat()}&end={self.end.isoformat()}"


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def local_today() -> date:
    return timezone.localdate()


def _date(query, name: str) -> date | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(
            _("“%(name)s” must be a date written YYYY-MM-DD, not “%(value)s”.")
            % {"name": name, "value": raw[:40]}
        ) from None
    if not EARLIEST <= value <= LATEST:
        raise BadParameter(
            _("“%(name)s” must be between %(first)s and %(last)s.")
            % {"name": name, "first": EARLIEST.isoformat(), "last": LATEST.isoformat()}
        )
    return value


def date_range(query, *, today: date, default_days: int = DEFAULT_DAYS) -> DateRange:
    """The range asked for; by default the ``default_days`` days ending ``today``."""
    end = _date(query, "end") or today
    start = _date(query, "start") or end - timedelta(days=default_days - 1)
    if start > end:
        raise BadParameter(_("The start date comes after the end date."))
    if (end - start).days + 1 > MAX_DAYS:
        raise BadParameter(_("A range may cover at most %(n)s days.") % {"n": MAX_DAYS})
    return DateRange(start=start, end=end)


def choice(query, name: str, allowed: tuple[str, ...], default: str) -> str:
    """One of ``allowed`` (the first is not implied: ``default`` when absent)."""
    value = query.get(name) or default
    if value not in allowed:
        raise BadParameter(
            _("“%(name)s” must be one of %(allowed)s, not “%(value)s”.")
            % {"name": name, "allowed": ", ".join(allowed), "value": value[:40]}
        )
    return value


def output_format(query) -> str:
    return choice(query, "format", ("html", "csv"), "html")


def whole_number(query, name: str, *, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise BadParameter(
            _("“%(name)s” must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high}
        )
    return value
