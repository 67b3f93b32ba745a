"""The funnel roll-up: recorded events into ``FunnelEvent`` exactly once, then
``FunnelDaily`` and attribution.

``paywall.funnel.record`` pushes serialized events onto a Redis list (or, without
Redis, keeps them in its process and hands them to ``store_events`` in batches).
``roll_up`` (the beat task ``analytics.tasks.roll_up_funnel``) drains the list
without losing or doubling an event:

1. under a Redis lock (one roll-up at a time; it expires, so a killed worker
   cannot hold it for ever), a Lua script moves a batch from the queue to a
   processing list in one step, or hands back the processing list as it is
   when an earlier roll-up died before acknowledging it (re-delivery);
2. in one transaction: the batch's rows are inserted with ``ON CONFLICT DO
   NOTHING`` on ``event_id`` (a re-delivered event is not counted twice),
   ``FunnelDaily`` (and its per-day totals, ``FunnelDayTotal``) is recomputed
   from ``FunnelEvent`` for the days the batch touched (a recount, so it is
   idempotent), and new subscriptions are
   attributed (``analytics.attribution``, unique per subscription and model);
3. only then the processing list is deleted (the acknowledgement). A worker
   killed anywhere before step 3 leaves the batch to the next roll-up.
"""

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from articles.models import Article
from paywall import funnel
from paywall.meter import local_date
from subscriptions.models import Subscription

from . import attribution
from .models import FunnelDaily, FunnelDayTotal, FunnelEvent

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
MAX_BATCHES = 50  # per roll-up; the rest waits for the next one
WATERMARK_KEY = "funnel:rolled-up-to"

# Claim a batch: the unacknowledged one if a roll-up died holding it, else up
# to ARGV[1] events moved from the queue to the processing list, atomically.
_CLAIM = """
if redis.call('LLEN', KEYS[2]) > 0 then
  return redis.call('LRANGE', KEYS[2], 0, -1)
end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('RPUSH', KEYS[2], unpack(items))
  redis.call('LTRIM', KEYS[1], #items, -1)
end
return items
"""
# Release the lock only if it is still ours.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _key(name: str) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "newsroom")
    return f"{prefix}:funnel:{name}"


def processing_key() -> str:
    return _key("processing")


def lock_key() -> str:
    return _key("lock")


# --- Writing events -------------------------------------------------------------------


def store_events(items: list) -> set:
    """Insert serialized events (``ON CONFLICT DO NOTHING`` on ``event_id``).

    Ids of articles, accounts or subscriptions deleted since are stored as
    empty. Returns the newsroom-local days the events fall on.
    """
    rows: dict[str, dict] = {}
    for raw in items:
        parsed = funnel.parse(raw)
        if parsed is not None:
            rows.setdefault(parsed["event_id"], parsed)
    if not rows:
        return set()
    _keep_existing(rows.values(), "article_id", Article)
    _keep_existing(rows.values(), "user_id", get_user_model())
    _keep_existing(rows.values(), "subscription_id", Subscription)
    FunnelEvent.objects.bulk_create(
        [FunnelEvent(day=local_date(row["at"]), **row) for row in rows.values()],
        ignore_conflicts=True,
    )
    return {local_date(row["at"]) for row in rows.values()}


def _keep_existing(rows, field: str, model) -> None:
    wanted = {row[field] for row in rows if isinstance(row[field], int)}
    found = set(model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True))
    for row in rows:
        if row[field] not in found:
            row[field] = None


def store_buffered(items: list) -> None:
    """The sink of ``paywall.funnel`` without Redis: a process's buffered events."""
    with transaction.atomic():
        store_events(items)


# --- Daily counts ---------------------------------------------------------------------


def recount_days(days) -> int:
    """Recompute ``FunnelDaily`` for ``days`` from ``FunnelEvent`` (idempotent)."""
    days = sorted(set(days))
    if not days:
        return 0
    groups = (
        FunnelEvent.objects.filter(day__in=days)
        .values("day", "kind", "reason", "article_id", "rules_version", "experiment_id", "arm")
        .annotate(n=Count("pk"), amount=Sum("amount_idr"))
        .order_by()
    )
    rows = [
        FunnelDaily(
            day=g["day"],
            kind=g["kind"],
            reason=g["reason"],
            article_id=g["article_id"],
            rules_version=g["rules_version"],
            experiment_id=g["experiment_id"],
            arm=g["arm"],
            events=g["n"],
            amount_idr=g["amount"] or 0,
        )
        for g in groups
    ]
    with transaction.atomic():
        FunnelDaily.objects.filter(day__in=days).delete()
        FunnelDaily.objects.bulk_create(rows)
        recount_totals(days)
    return len(rows)


def recount_totals(days) -> int:
    """Recompute ``FunnelDayTotal`` for ``days`` from ``FunnelDaily`` (idempotent)."""
    days = sorted(set(days))
    groups = (
        FunnelDaily.objects.filter(day__in=days)
        .values("day", "kind", "reason")
        .annotate(n=Sum("events"), amount=Sum("amount_idr"))
        .order_by()
    )
    rows = [
        FunnelDayTotal(
            day=g["day"],
            kind=g["kind"],
            reason=g["reason"],
            events=g["n"] or 0,
            amount_idr=g["amount"] or 0,
        )
        for g in groups
    ]
    with transaction.atomic():
        FunnelDayTotal.objects.filter(day__in=days).delete()
        FunnelDayTotal.objects.bulk_create(rows)
    return len(rows)


def _days_since_watermark() -> set:
    """Days of events written since the last roll-up outside the Redis batches
    (a process buffer's flush), found by id above the last roll-up's highest."""
    last = cache.get(WATERMARK_KEY) or 0
    newest = FunnelEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    days = set(FunnelEvent.objects.filter(pk__gt=last).values_list("day", flat=True).distinct())
    cache.set(WATERMARK_KEY, newest, timeout=None)
    return days


# --- The roll-up --------------------------------------------------------------------


def _redis():
    return funnel.redis_client()


def claim_batch(size: int = BATCH_SIZE) -> list[bytes]:
    """Take a batch: the unacknowledged one, or the next ``size`` queued events."""
    return _redis().eval(_CLAIM, 2, funnel.queue_key(), processing_key(), size)


def acknowledge() -> None:
    """The claimed batch is written: forget it."""
    _redis().delete(processing_key())


def _process_batch(items: list, *, now: datetime) -> int:
    with transaction.atomic():
        days = store_events(items)
        recount_days(days)
        attribution.attribute_pending(now=now)
    return len(items)


def roll_up(*, now: datetime | None = None) -> dict[str, int]:
    """Write recorded funnel events, recount their days, attribute new subscriptions."""
    now = now or timezone.now()
    funnel.flush()  # this process's own buffered events
    stored = batches = 0
    if settings.REDIS_URL:
        r = _redis()
        token = uuid.uuid4().hex
        lock_seconds = settings.FUNNEL_ROLLUP_LOCK_SECONDS
        if not r.set(lock_key(), token, nx=True, ex=lock_seconds):
            return {"skipped": 1, "stored": 0, "batches": 0}
        try:
            while batches < MAX_BATCHES:
                items = claim_batch()
                if not items:
                    break
                stored += _process_batch(items, now=now)
                acknowledge()
                batches += 1
        finally:
            r.eval(_RELEASE, 1, lock_key(), token)
    today = local_date(now)
    days = _days_since_watermark() | {today, today - timedelta(days=1)}
    recount_days(days)
    attributed = attribution.attribute_pending(now=now)
    return {"skipped": 0, "stored": stored, "batches": batches, "attributed": attributed}
