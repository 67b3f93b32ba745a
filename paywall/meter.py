"""The meter: how many metered articles a reader may still read free this period.

State lives on the server (``Meter`` and ``MeterRead`` rows). An anonymous
reader is known by a random meter id carried in a signed cookie (see
``paywall.middleware``); the cookie holds no count, so editing it cannot
give reads back. A registered reader's meter hangs off the account.

The period is the rules' (``PaywallRules.period``): a calendar month or the
last N days, on the newsroom's clock. A reader's reads are counted by
``read_at`` within the current window (``period_start`` .. ``period_end``), so
reads and what is left carry over across a rule change: a higher allowance
gives more reads at once, a lower one may leave none; after a change of period
kind, the reads inside the new window count (switching from a month to 7
rolling days forgets reads older than 7 days; switching back counts the
whole month again).

Exactness rules:
- a re-read within the window is free (the article is in the read set);
  ``MeterRead`` is unique per (meter, article, period key), the key being the
  month's first day or, for a rolling window, the day of the read;
- ``meter_consume`` locks the meter row before counting, so two concurrent
  requests for the last free article grant it once (PostgreSQL: ``SELECT ...
  FOR UPDATE``; SQLite: the ``IMMEDIATE`` transaction takes the write lock).
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from core.prepared import prepared

from .models import Meter, MeterRead
from .policy import MeterView
from .rights import ReaderRights
from .rules import PaywallRules, Period, current_rules


def local_date(now: datetime) -> date:
    """``now``'s day on the newsroom's clock (``TIME_ZONE``)."""
    return timezone.localtime(now, timezone.get_default_timezone()).date()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_default_timezone())


def period_start(now: datetime, *, rules: PaywallRules | None = None) -> date:
    """The first day of the meter window ``now`` falls in, on the newsroom's clock:
    the first of the month, or for a rolling window of N days, N-1 days ago."""
    rules = rules or current_rules(now=now)
    today = local_date(now)
    if rules.period == Period.ROLLING_DAYS:
        return today - timedelta(days=rules.period_days - 1)
    return today.replace(day=1)


def period_end(now: datetime, *, rules: PaywallRules | None = None) -> datetime:
    """When the meter next changes by itself: midnight starting next month, or for
    a rolling window the next local midnight (a day of reads leaves the window)."""
    rules = rules or current_rules(now=now)
    today = local_date(now)
    if rules.period == Period.ROLLING_DAYS:
        return _midnight(today + timedelta(days=1))
    nxt = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    return _midnight(nxt)


def period_key(now: datetime, *, rules: PaywallRules) -> date:
    """What a read made at ``now`` stores in ``MeterRead.period``."""
    if rules.period == Period.ROLLING_DAYS:
        return local_date(now)
    return period_start(now, rules=rules)


def window_start(now: datetime, *, rules: PaywallRules) -> datetime:
    """The first moment whose reads count at ``now`` (the current window's start)."""
    return _midnight(period_start(now, rules=rules))


def window_reads(meter_id, now: datetime, *, rules: PaywallRules):
    """The meter's reads that count at ``now`` (within the current window)."""
    return MeterRead.objects.filter(meter_id=meter_id, read_at__gte=window_start(now, rules=rules))


def _exhausted_now(exhausted: date | None, now: datetime, *, rules: PaywallRules) -> bool:
    """A meter marked exhausted on day ``exhausted`` has nothing left while that day
    is in the window (the rest of its month, or N days of a rolling window)."""
    return exhausted is not None and period_start(now, rules=rules) <= exhausted <= local_date(now)


def allowance_for(reader: ReaderRights, *, rules: PaywallRules | None = None) -> int:
    return (rules or current_rules()).allowance_for(authenticated=reader.authenticated)


# --- Anonymous meter ids ---------------------------------------------------------
# The cookie value is a signed string "<uuid hex>" or "<uuid hex>.x<YYYYMMDD>";
# the ".x" form marks a meter issued to replace a tampered cookie (or refused
# by the network rule): it starts the period of that day with nothing left, so
# forging a cookie never resets the meter. (Older cookies carry "x<YYYYMM>":
# the first of that month.)


COOKIE_SALT = "newsroom.meter"


def sign_meter_key(key: str) -> str:
    return signing.get_cookie_signer(salt=COOKIE_SALT).sign(key)


class ForgedMeterCookie(Exception):
    """The meter cookie's signature does not match: it was edited or forged."""


def meter_key_from_cookie(request) -> str | None:
    """The verified anonymous meter id in the request's cookie, or None without one.

    Raises ``ForgedMeterCookie`` for a cookie whose signature fails.
    """
    raw = request.COOKIES.get(settings.PAYWALL_METER_COOKIE)
    if not raw:
        return None
    try:
        return signing.get_cookie_signer(salt=COOKIE_SALT).unsign(raw)
    except signing.BadSignature:
        raise ForgedMeterCookie from None


def new_anonymous_key(*, exhausted_in: date | None = None) -> str:
    key = uuid.uuid4().hex
    if exhausted_in is not None:
        key += f".x{exhausted_in:%Y%m%d}"
    return key


def _parse_key(key: str) -> tuple[uuid.UUID, date | None] | None:
    token, _, flag = key.partition(".")
    try:
        parsed = uuid.UUID(hex=token)
    except ValueError:
        return None
    exhausted = None
    digits = flag[1:]
    if flag.startswith("x") and len(digits) in (6, 8) and digits.isdigit():
        try:
            exhausted = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8] or 1))
        except ValueError:
            exhausted = None
    return parsed, exhausted


@dataclass(frozen=True)
class MeterState:
    """The reader's meter for the current period."""

    limit: int
    used: int
    period_start: date
    period_end: datetime
    read_article_ids: frozenset[int]

    @property
    def left(self) -> int:
        return max(self.limit - self.used, 0)

    def has_read(self, article_id: int) -> bool:
        return article_id in self.read_article_ids

    def view(self) -> MeterView:
        """What the policy reads of it."""
        return MeterView(left=self.left, read_ids=self.read_article_ids)


def _meter_filter(reader: ReaderRights) -> dict | None:
    if reader.authenticated:
        return {"user_id": reader.user_id}
    if reader.meter_key:
        parsed = _parse_key(reader.meter_key)
        if parsed:
            return {"token": parsed[0]}
    return None


def meter_state(
    reader: ReaderRights, now: datetime | None = None, *, rules: PaywallRules | None = None
) -> MeterState:
    """The reader's allowance, reads used and articles read this period (one query at most)."""
    now = now or timezone.now()
    rules = rules or current_rules(now=now)
    limit = allowance_for(reader, rules=rules)
    lookup = _meter_filter(reader)
    exhausted = False
    ids: frozenset[int] = frozenset()
    if lookup is not None:
        since = window_start(now, rules=rules)
        if reader.authenticated:
            rows = _user_meter_reads(user_id=lookup["user_id"], since=since)
        else:
            rows = _token_meter_reads(token=lookup["token"], since=since)
        if rows:
            exhausted = not reader.authenticated and _exhausted_now(rows[0][0], now, rules=rules)
            ids = frozenset(article_id for _, article_id in rows if article_id is not None)
        elif not reader.authenticated:
            parsed = _parse_key(reader.meter_key)
            exhausted = bool(parsed) and _exhausted_now(parsed[1], now, rules=rules)
    used = limit if exhausted else len(ids)
    return MeterState(
        limit=limit,
        used=max(used, len(ids)),
        period_start=period_start(now, rules=rules),
        period_end=period_end(now, rules=rules),
        read_article_ids=ids,
    )


def _with_window_reads(meters, since: datetime):
    """``(exhausted_period, article_id)`` of the meter and each of its reads since
    ``since`` (``window_start``; one row with no article when it has none):
    ``window_reads`` joined to its meter, so a metered page asks once."""
    kept = FilteredRelation("reads", condition=Q(reads__read_at__gte=since))
    return meters.annotate(counted_read=kept).values_list(
        "exhausted_period", "counted_read__article_id"
    )


# Compiled once per process (``core.prepared``): building and compiling these two
# queries cost more than running them, on every metered page and API read,
# cached page or not.
@prepared
def _user_meter_reads(*, user_id: int, since: datetime):
    return _with_window_reads(Meter.objects.filter(user_id=user_id), since)


@prepared
def _token_meter_reads(*, token: uuid.UUID, since: datetime):
    return _with_window_reads(Meter.objects.filter(token=token), since)


def _meter_for(reader) -> Meter:
    """The reader's meter row, created on first use (race-safe through the unique keys)."""
    if reader.authenticated:
        lookup, defaults = {"user_id": reader.user_id}, {}
    else:
        token, exhausted = _parse_key(reader.meter_key)
        lookup, defaults = {"token": token}, {"exhausted_period": exhausted}
    try:
        with transaction.atomic():
            meter, _ = Meter.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:  # a concurrent request created it first
        meter = Meter.objects.get(**lookup)
    return meter


def _record_read(meter: Meter, article_id: int, *, read_at: datetime, rules: PaywallRules) -> None:
    """Store one read (the caller checked it is not in the window yet)."""
    try:
        with transaction.atomic():
            MeterRead.objects.create(
                meter=meter,
                article_id=article_id,
                period=period_key(read_at, rules=rules),
                read_at=read_at,
            )
    except IntegrityError:
        # A row with this key but outside the window (left by rules of another
        # period kind): move it to this read, so it counts again.
        MeterRead.objects.filter(
            meter=meter, article_id=article_id, period=period_key(read_at, rules=rules)
        ).update(read_at=read_at)


@dataclass(frozen=True)
class MeterOutcome:
    granted: bool
    counted: bool  # True when this call spent one free read
    left: int


def meter_consume(
    *,
    reader: ReaderRights,
    article,
    now: datetime | None = None,
    rules: PaywallRules | None = None,
) -> MeterOutcome:
    """Spend one free read on ``article`` for ``reader`` if one is left; exactly once.

    Re-reading an article already counted this period is granted and not
    counted again. The meter row is locked while counting, so concurrent
    requests cannot both take the last free read.
    """
    now = now or timezone.now()
    rules = rules or current_rules(now=now)
    limit = allowance_for(reader, rules=rules)
    if _meter_filter(reader) is None:
        raise ValueError("an anonymous reader needs a meter key before a read can be counted")
    meter = _meter_for(reader)
    with transaction.atomic():
        meter = Meter.objects.select_for_update().get(pk=meter.pk)
        reads = window_reads(meter.pk, now, rules=rules)
        used = reads.count()
        if not reader.authenticated and _exhausted_now(meter.exhausted_period, now, rules=rules):
            used = max(used, limit)
        if reads.filter(article_id=article.pk).exists():
            return MeterOutcome(granted=True, counted=False, left=max(limit - used, 0))
        if used >= limit:
            return MeterOutcome(granted=False, counted=False, left=0)
        _record_read(meter, article.pk, read_at=now, rules=rules)
        return MeterOutcome(granted=True, counted=True, left=max(limit - used - 1, 0))


def meter_carry_over(*, meter_key: str | None, user, now: datetime | None = None) -> int:
    """Move this period's anonymous reads onto ``user``'s meter (at login or sign-up).

    Returns how many reads were added. Articles the account already read are
    not counted twice; the anonymous meter is marked as merged.
    """
    if not meter_key:
        return 0
    parsed = _parse_key(meter_key)
    if parsed is None:
        return 0
    now = now or timezone.now()
    rules = current_rules(now=now)
    anonymous = Meter.objects.filter(token=parsed[0]).first()
    if anonymous is None:
        return 0
    target = _meter_for(ReaderRights(authenticated=True, user_id=user.pk))
    added = 0
    with transaction.atomic():
        Meter.objects.select_for_update().get(pk=target.pk)
        already = set(
            window_reads(target.pk, now, rules=rules).values_list("article_id", flat=True)
        )
        for read in window_reads(anonymous.pk, now, rules=rules):
            if read.article_id in already:
                continue
            _record_read(target, read.article_id, read_at=read.read_at, rules=rules)
            already.add(read.article_id)
            added += 1
        Meter.objects.filter(pk=anonymous.pk).update(merged_into=user)
    return added
