"""Health checks for /healthz: the database decides the status, the rest is reported."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
        return Check("database", False, f"unreachable: {exc.__class__.__name__}")
    return Check("database", True, connection.vendor)


def check_broker() -> Check:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = settings.BROKER_DIR / "out"
        ok = folder.is_dir()
        return Check("broker", ok, "filesystem" if ok else f"missing folder {folder}")
    problem = _ping_redis(url)
    return Check("broker", not problem, problem or "redis")


def check_cache() -> Check:
    # The cache backend hides outages from pages, so ask Redis itself.
    if not settings.REDIS_URL:
        backend = settings.CACHES["default"]["BACKEND"]
        return Check("cache", True, "files" if "filebased" in backend else "local memory")
    problem = _ping_redis(settings.REDIS_URL)
    return Check("cache", not problem, problem or "redis")


def _ping_redis(url: str) -> str:
    """An empty string when Redis at ``url`` answers, else what went wrong."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
    except Exception as exc:  # noqa: BLE001
        return f"unreachable: {exc.__class__.__name__}"
    return ""


def run_checks() -> list[Check]:
    return [check() for check in CHECKS]


def check_worker() -> Check:
    """Report when a worker last ran the heartbeat task (beat sends one every
    ``WORKER_HEARTBEAT_SECONDS``); stale after ``WORKER_STALE_AFTER_SECONDS``."""
    from django.utils import timezone

    from .models import ProcessHeartbeat

    try:
        beat = ProcessHeartbeat.objects.filter(name="worker").first()
    except Exception as exc:  # noqa: BLE001
        return Check("worker", False, f"unknown: {exc.__class__.__name__}")
    if beat is None:
        return Check("worker", False, "no heartbeat yet")
    age = (timezone.now() - beat.seen_at).total_seconds()
    return Check(
        "worker", age <= settings.WORKER_STALE_AFTER_SECONDS, f"last heartbeat {int(age)} s ago"
    )


def check_publication_lag() -> Check:
    """Scheduled articles more than ``PIPELINE_LATE_AFTER_SECONDS`` past their time
    (reported and logged).

    A late article means the worker or beat is down or stuck, which the sweep
    would otherwise have fixed.
    """
    import logging

    from django.utils import timezone

    from publishing.pipeline import late_articles

    now = timezone.now()
    try:
        late = list(late_articles(now=now).values_list("pk", "headline", "publish_at")[:10])
    except Exception as exc:  # noqa: BLE001
        return Check("publication", False, f"unknown: {exc.__class__.__name__}")
    if not late:
        return Check("publication", True, "nothing late")
    described = "; ".join(
        f"#{pk} {headline[:40]!r} {int((now - at).total_seconds())} s late"
        for pk, headline, at in late
    )
    logging.getLogger("newsroom.health").warning("late articles: %s", described)
    return Check("publication", False, f"{len(late)} late: {described}")


# What /healthz reports, in order.
CHECKS = [check_database, check_broker, check_cache, check_worker, check_publication_lag]
