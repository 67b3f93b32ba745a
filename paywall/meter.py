"""The meter: how many metered articles a reader may still read free this month.

State lives on the server (``Meter`` and ``MeterRead`` rows). An anonymous
reader is known by a random meter id carried in a signed cookie (see
``paywall.middleware``); the cookie holds no count, so editing it cannot
give reads back. A registered reader's meter hangs off the account.

Exactness rules:
- one ``MeterRead`` row per (meter, article, period), so a re-read is free;
- ``meter_consume`` locks the meter row before counting, so two concurrent
  requests for the last free article grant it once (PostgreSQL: ``SELECT ...
  FOR UPDATE``; SQLite: the ``IMMEDIATE`` transaction takes the write lock).
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Meter, MeterRead
from .policy import MeterView
from .rights import ReaderRights
from .rules import current_rules


def period_start(now: datetime) -> date:
    """The first day of the calendar month ``now`` falls in, on the newsroom's clock."""
    return timezone.localtime(now).date().replace(day=1)


def period_end(now: datetime) -> datetime:
    """When the current meter period ends (midnight starting next month, local time)."""
    start = period_start(now)
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return datetime(nxt.year, nxt.month, nxt.day, tzinfo=timezone.get_current_timezone())


def allowance_for(reader: ReaderRights) -> int:
    return current_rules().allowance_for(authenticated=reader.authenticated)


# --- Anonymous meter ids ---------------------------------------------------------
# The cookie value is a signed string "<uuid hex>" or "<uuid hex>.x<YYYYMM>";
# the ".x" form marks a meter issued to replace a tampered cookie: it starts
# that month with nothing left, so forging a cookie never resets the meter.


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
        key += f".x{exhausted_in:%Y%m}"
    return key


def _parse_key(key: str) -> tuple[uuid.UUID, date | None] | None:
    token, _, flag = key.partition(".")
    try:
        parsed = uuid.UUID(hex=token)
    except ValueError:
        return None
    exhausted = None
    if flag.startswith("x") and len(flag) == 7 and flag[1:].isdigit():
        exhausted = date(int(flag[1:5]), int(flag[5:7]), 1)
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


def meter_state(reader: ReaderRights, now: datetime | None = None) -> MeterState:
    """The reader's allowance, reads used and articles read this period (two queries at most)."""
    now = now or timezone.now()
    start = period_start(now)
    limit = allowance_for(reader)
    lookup = _meter_filter(reader)
    exhausted = False
    ids: frozenset[int] = frozenset()
    if lookup is not None:
        meter = Meter.objects.filter(**lookup).only("pk", "exhausted_period").first()
        if meter is not None:
            exhausted = meter.exhausted_period == start and not reader.authenticated
            ids = frozenset(
                MeterRead.objects.filter(meter=meter, period=start).values_list(
                    "article_id", flat=True
                )
            )
        elif not reader.authenticated:
            parsed = _parse_key(reader.meter_key)
            exhausted = bool(parsed and parsed[1] == start)
    used = limit if exhausted else len(ids)
    return MeterState(
        limit=limit,
        used=max(used, len(ids)),
        period_start=start,
        period_end=period_end(now),
        read_article_ids=ids,
    )


def _meter_for(reader, start: date) -> Meter:
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


@dataclass(frozen=True)
class MeterOutcome:
    granted: bool
    counted: bool  # True when this call spent one free read
    left: int


def meter_consume(*, reader: ReaderRights, article, now: datetime | None = None) -> MeterOutcome:
    """Spend one free read on ``article`` for ``reader`` if one is left; exactly once.

    Re-reading an article already counted this period is granted and not
    counted again. The meter row is locked while counting, so concurrent
    requests cannot both take the last free read.
    """
    now = now or timezone.now()
    start = period_start(now)
    limit = allowance_for(reader)
    if _meter_filter(reader) is None:
        raise ValueError("an anonymous reader needs a meter key before a read can be counted")
    meter = _meter_for(reader, start)
    with transaction.atomic():
        meter = Meter.objects.select_for_update().get(pk=meter.pk)
        reads = MeterRead.objects.filter(meter=meter, period=start)
        used = reads.count()
        if not reader.authenticated and meter.exhausted_period == start:
            used = max(used, limit)
        if reads.filter(article_id=article.pk).exists():
            return MeterOutcome(granted=True, counted=False, left=max(limit - used, 0))
        if used >= limit:
            return MeterOutcome(granted=False, counted=False, left=0)
        MeterRead.objects.create(meter=meter, article_id=article.pk, period=start, read_at=now)
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
    start = period_start(now)
    anonymous = Meter.objects.filter(token=parsed[0]).first()
    if anonymous is None:
        return 0
    target = _meter_for(ReaderRights(authenticated=True, user_id=user.pk), start)
    added = 0
    with transaction.atomic():
        Meter.objects.select_for_update().get(pk=target.pk)
        already = set(
            MeterRead.objects.filter(meter=target, period=start).values_list(
                "article_id", flat=True
            )
        )
        for read in MeterRead.objects.filter(meter=anonymous, period=start):
            if read.article_id in already:
                continue
            MeterRead.objects.create(
                meter=target, article_id=read.article_id, period=start, read_at=read.read_at
            )
            added += 1
        Meter.objects.filter(pk=anonymous.pk).update(merged_into=user)
    return added
