"""Page views for most-read and hot topics, counted cheaply on the request path.

``record_view`` never writes a row per view, nor makes a round trip of its
own. With Redis, views wait in the process and go to per-hour hashes in one
pipeline of ``HINCRBY`` per ``REDIS_BATCH_VIEWS`` views, or
``REDIS_BATCH_SECONDS`` after the first (``core.flush_timer``), and at exit:
a page view used to cost a round trip, on cache hits too. A process killed
outright loses at most that second of views, which a ranking can spare.
Without Redis (the embedded demo) views are buffered in the process and
written to the database in batches (one upsert per article per flush). The
beat task ``roll_up_page_views`` folds the Redis hashes into hourly
``ViewCount`` rows and recomputes the ``MostRead`` and ``TrendingTopic``
rankings that the reader site reads with ``most_read`` and ``hot_topics``.
"""

import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.utils import timezone

from articles.models import Article, Topic
from core.flush_timer import FlushTimer, at_exit

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
RANKING_SIZE = 20
BUCKET_TTL = 2 * 24 * 3600  # seconds a Redis hour bucket outlives its hour
FLUSH_EVERY_VIEWS = 200
FLUSH_EVERY_SECONDS = 10.0
REDIS_BATCH_VIEWS = 200
REDIS_BATCH_SECONDS = 1.0


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@cache
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def _redis():
    """The Redis client for the current ``REDIS_URL`` (one per URL, reused)."""
    return _client(settings.REDIS_URL)


_redis.cache_clear = _client.cache_clear


def _bucket_key(hour: datetime) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "newsroom")
    return f"{prefix}:views:{hour:%Y%m%d%H}"


class _Buffer:
    """Views counted in this process by ``(article id, hour)``, waiting for their
    batched write. ``due(total views, seconds since the last write)`` says when
    the next view should write them; a ``timer`` writes them when no view comes."""

    def __init__(self, due, timer: FlushTimer | None = None):
        self.due = due
        self.timer = timer
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.since = time.monotonic()

    def add(self, key, views: int = 1) -> bool:
        with self.lock:
            self.counts[key] += views
            due = self.due(self.counts.total(), time.monotonic() - self.since)
        if self.timer is not None and not due:
            self.timer.arm()
        return due

    def take(self) -> Counter:
        with self.lock:
            counts, self.counts = self.counts, Counter()
            self.since = time.monotonic()
        if self.timer is not None:
            self.timer.disarm()
        return counts


# Without Redis: to the database every FLUSH_EVERY_VIEWS views or FLUSH_EVERY_SECONDS.
_buffer = _Buffer(lambda total, age: total >= FLUSH_EVERY_VIEWS or age >= FLUSH_EVERY_SECONDS)
# With Redis: one pipeline per REDIS_BATCH_VIEWS views, or REDIS_BATCH_SECONDS after the first.
_redis_batch = _Buffer(
    lambda total, age: total >= REDIS_BATCH_VIEWS,
    timer=FlushTimer(lambda: flush_redis_views(), lambda: REDIS_BATCH_SECONDS),
)


def flush_redis_views() -> int:
    """Write this process's waiting views to Redis in one pipeline; if Redis is
    unreachable they go to the database buffer instead. Never raises."""
    counts = _redis_batch.take()
    if not counts:
        return 0
    try:
        pipe = _redis().pipeline(transaction=False)
        for (article_id, hour), views in counts.items():
            pipe.hincrby(_bucket_key(hour), str(article_id), views)
        for hour in {hour for _article_id, hour in counts}:
            pipe.expire(_bucket_key(hour), BUCKET_TTL)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - Redis down: keep the views in the buffer
        logger.warning("page views buffered, Redis unavailable: %s", type(exc).__name__)
        try:
            for key, views in counts.items():
                _buffer.add(key, views)
            flush_views()
        except Exception as exc:  # noqa: BLE001 - a lost view must never break anything
            logger.warning("%d page views not counted: %s", counts.total(), type(exc).__name__)
    return counts.total()


def record_view(article_id: int) -> None:
    """Count one reader view of an article: no round trip and no database write on
    the request path (a batched write every second or so). Never raises."""
    key = (article_id, _hour(timezone.now()))
    try:
        if settings.REDIS_URL:
            if _redis_batch.add(key):
                flush_redis_views()
            return
        if _buffer.add(key):
            flush_views()
    except Exception as exc:  # noqa: BLE001 - a lost view must never break a page
        logger.warning("page view for article %s not counted: %s", article_id, type(exc).__name__)


at_exit(lambda: flush_redis_views(), "page views")


def _add_views(article_id: int, hour: datetime, views: int) -> None:
    from .models import ViewCount

    if ViewCount.objects.filter(article_id=article_id, hour=hour).update(views=F("views") + views):
        return
    try:
        with transaction.atomic():
            ViewCount.objects.create(article_id=article_id, hour=hour, views=views)
    except IntegrityError:  # another process created it first
        ViewCount.objects.filter(article_id=article_id, hour=hour).update(views=F("views") + views)


def flush_views() -> int:
    """Write this process's buffered views (one upsert per article and hour)."""
    counts = _buffer.take()
    existing = set(
        Article.objects.filter(pk__in={pk for pk, _ in counts}).values_list("pk", flat=True)
    )
    with transaction.atomic():
        for (article_id, hour), views in counts.items():
            if article_id in existing:
                _add_views(article_id, hour, views)
    return sum(counts.values())


def _drain_redis(now: datetime) -> None:
    """Copy the Redis hour buckets of the window into ``ViewCount`` (set, not add,
    so running the roll-up twice counts nothing twice)."""
    from .models import ViewCount

    hour = _hour(now)
    for back in range(int(WINDOW.total_seconds() // 3600) + 1):
        bucket = hour - timedelta(hours=back)
        raw = _redis().hgetall(_bucket_key(bucket))
        counts = {int(k): int(v) for k, v in raw.items()}
        live = set(Article.objects.filter(pk__in=counts).values_list("pk", flat=True))
        rows = [
            ViewCount(article_id=pk, hour=bucket, views=views)
            for pk, views in counts.items()
            if pk in live
        ]
        if rows:
            ViewCount.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["article", "hour"],
                update_fields=["views"],
            )


def roll_up(*, now: datetime) -> dict[str, int]:
    """Recompute most-read articles and hot topics over the last 24 hours."""
    from .models import MostRead, TrendingTopic, ViewCount

    if settings.REDIS_URL:
        flush_redis_views()  # this process's waiting views first
        _drain_redis(now)
    else:
        flush_views()
    since = _hour(now - WINDOW)
    recent = ViewCount.objects.filter(hour__gte=since)
    live = Article.objects.published(at=now).values("pk")
    articles = (
        recent.filter(article__in=live)
        .values("article")
        .annotate(total=Sum("views"))
        .order_by("-total", "article")[:RANKING_SIZE]
    )
    topics = (
        recent.filter(article__in=live, article__topics__isnull=False)
        .values("article__topics")
        .annotate(total=Sum("views"))
        .order_by("-total", "article__topics")[:RANKING_SIZE]
    )
    with transaction.atomic():
        MostRead.objects.all().delete()
        MostRead.objects.bulk_create(
            MostRead(article_id=row["article"], rank=i, views=row["total"], computed_at=now)
            for i, row in enumerate(articles, start=1)
        )
        TrendingTopic.objects.all().delete()
        TrendingTopic.objects.bulk_create(
            TrendingTopic(
                topic_id=row["article__topics"], rank=i, views=row["total"], computed_at=now
            )
            for i, row in enumerate(topics, start=1)
        )
        ViewCount.objects.filter(hour__lt=now - timedelta(days=7)).delete()
    return {"most_read": MostRead.objects.count(), "hot_topics": TrendingTopic.objects.count()}


def most_read(*, limit: int = 5, at: datetime | None = None):
    """The most-read live articles of the last roll-up, best first (one query)."""
    return (
        Article.objects.published(at=at)
        .for_listing()
        .filter(most_read__isnull=False)
        .order_by("most_read__rank")[:limit]
    )


def hot_topics(*, limit: int = 8):
    """Hot topics: the ones editors flagged (in their order), then the most-read
    topics of the last roll-up (one query)."""
    return (
        Topic.objects.filter(Q(is_hot=True) | Q(trending__isnull=False))
        .annotate(editor_order=Case(When(is_hot=True, then=F("hot_order")), default=Value(0)))
        .order_by(
            F("is_hot").desc(),
            "editor_order",
            F("trending__rank").asc(nulls_last=True),
            "name",
        )[:limit]
    )
