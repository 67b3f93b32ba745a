"""Fixtures shared by the whole suite."""

import os
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from newsroom.celery import app as celery_app
from tests.processes import ROOT, ChildProcess

# One queue per test session (and xdist worker): a real worker started by a
# test never picks up messages left by another run on the same broker.
TEST_QUEUE = f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True, scope="session")
def _isolated_queue():
    celery_app.conf.task_default_queue = TEST_QUEUE
    return


@pytest.fixture(autouse=True)
def _fresh_view_buffer(monkeypatch):
    # Page views buffered by earlier tests (the no-Redis path) would otherwise
    # be flushed inside some later test's request and change its query count.
    from analytics import popularity
    from paywall import experiments, funnel

    popularity._buffer.take()
    popularity._redis_batch.take()
    funnel._buffer.take()  # funnel events too (``paywall.funnel``)
    # The buffers' timers write from another thread (another database connection,
    # outside the test's transaction): a test meets them only when it asks to.
    monkeypatch.setattr(funnel, "REDIS_BATCH_SECONDS", 3600.0)
    monkeypatch.setattr(funnel, "FLUSH_TIMER_SECONDS", 3600.0)
    monkeypatch.setattr(experiments, "TIMER_SECONDS", 3600.0)
    monkeypatch.setattr(popularity, "REDIS_BATCH_SECONDS", 3600.0)


def clear_caches() -> None:
    """What a cold request finds empty: the shared cache and this process's copy
    of the paywall rules (kept for a second, ``paywall.rules.LOCAL_SECONDS``)."""
    from paywall.experiments import forget_exposure_buffer
    from paywall.rules import forget_local_rules

    cache.clear()
    forget_local_rules()
    forget_exposure_buffer()  # exposures of an experiment another test rolled back
    # The search statistics another test's rows gave (its ANALYZE, its periods).
    from website.search_plans import forget_statistics

    forget_statistics()


@pytest.fixture(autouse=True)
def _clear_cache():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: Django's test client leaves the
    last request's language active in the thread, so a test that rendered an
    English page made the next test's ``reverse`` answer ``/en/...``."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return


def database_url_for_subprocess() -> str:
    """The URL of the database this test runs on, for a process we start."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url_for_subprocess(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_BROKER_DIR": str(settings.BROKER_DIR),
            "CELERY_TASK_DEFAULT_QUEUE": TEST_QUEUE,
            "NEWSROOM_TESTING": "1",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


class WorkerProcess(ChildProcess):
    """A real ``celery worker`` process on the test database and broker.

    ``stop()`` lets it shut down warm (SIGTERM to the worker itself); a worker
    that never says it is ready is killed with its pool before the error.
    """

    def __init__(self, log_path: Path, *, ready_timeout: float = 30, **env: str):
        command = [sys.executable, "-m", "celery", "-A", "newsroom", "worker"]
        command += ["--loglevel=INFO", "--concurrency=1", "--pool=prefork", "-Q", TEST_QUEUE]
        command += ["--without-gossip", "--without-mingle", "-n", f"{TEST_QUEUE}@%h"]
        super().__init__(command, log_path, env=subprocess_env(**env))
        self.wait_for_output(" ready.", timeout=ready_timeout)


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """Start a real worker; tests that use it must commit what the worker reads."""
    worker = WorkerProcess(tmp_path / "worker.log")
    yield worker
    worker.stop()


def wait_for(predicate, *, timeout: float = 20, interval: float = 0.2):
    """Poll until ``predicate()`` is truthy; return its value or fail with a reason."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


requires_postgres = pytest.mark.skipif(
    not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)"
)
requires_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL)")


@pytest.fixture
def english(settings):
    """Run a test in English: the default language and the active one.

    For tests that read the admin's or the services' messages by their
    English text; the Indonesian admin itself is held by
    ``tests/desk/test_admin_language.py``.
    """
    from django.urls import clear_url_caches
    from django.utils import translation

    # The URL resolver keeps each language's prefix ("" for the default) once
    # computed: start and leave with it empty, or /en/ links go missing later.
    clear_url_caches()
    default = settings.LANGUAGE_CODE
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
    settings.LANGUAGE_CODE = default
    clear_url_caches()
