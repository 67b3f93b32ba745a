"""After a worker dies: what the sweep and a starting worker send again, and when
/healthz tells the on-call editor. Services are called with a ``now``; the
broker is observed by recording ``apply_async``/``delay`` (no eager mode).
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, ArticleTransition
from newsroom.models import ProcessHeartbeat
from pagecache import store as page_cache
from publishing import actions, effects, tasks
from publishing import pipeline as publishing
from publishing.models import ExactTimeTask, SideEffectRun
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db
RunStatus = SideEffectRun.Status


@pytest.fixture
def sent(monkeypatch):
    """Every message handed to the broker: (task name, args, eta)."""
    messages = []
    for name in dir(tasks):
        task = getattr(tasks, name)
        if hasattr(task, "apply_async") and getattr(task, "name", "").startswith("publishing."):

            def apply_async(args=None, kwargs=None, eta=None, _task=task, **options):
                messages.append((_task.name, list(args or []), eta))

            def delay(*args, _task=task):
                messages.append((_task.name, list(args), None))

            monkeypatch.setattr(task, "apply_async", apply_async)
            monkeypatch.setattr(task, "delay", delay)
    return messages


def _run(*, status, attempts=0, claimed_at=None, claimed_by="", created_at=None):
    article = ArticleFactory()
    transition = ArticleTransition.objects.create(
        article=article, from_status="scheduled", to_status="published"
    )
    return SideEffectRun.objects.create(
        transition=transition,
        article=article,
        effect="purge_caches",
        status=status,
        attempts=attempts,
        claimed_at=claimed_at,
        claimed_by=claimed_by,
        created_at=created_at or timezone.now(),
    )


def _resent(sent, run) -> int:
    return sent.count(("publishing.tasks.purge_article_caches", [run.pk], None))


# --- E: a failed run whose retry was held by a killed worker ----------------------------


@pytest.mark.parametrize("attempts", [1, 3, 8])
def test_sweep_resends_a_failed_run_once_its_retry_is_overdue(sent, attempts):
    now = timezone.now()
    run = _run(status=RunStatus.FAILED, attempts=attempts, claimed_at=now)
    backoff = timedelta(seconds=min(600, 5 * 2 ** (attempts - 1)))

    publishing.sweep(now=now + backoff)  # the worker's own retry may still come
    assert _resent(sent, run) == 0
    publishing.sweep(now=now + backoff + effects.RETRY_GRACE + timedelta(seconds=1))
    assert _resent(sent, run) == 1


def test_a_resent_failed_run_runs_and_is_done(sent, monkeypatch):
    now = timezone.now()
    run = _run(status=RunStatus.FAILED, attempts=1, claimed_at=now)
    monkeypatch.setattr(page_cache, "purge_for_article", lambda article: None)
    publishing.sweep(now=now + timedelta(minutes=2))
    assert effects.perform_side_effect(run_id=run.pk, worker="w2@host") is True
    run.refresh_from_db()
    assert (run.status, run.attempts, run.claimed_by) == (RunStatus.DONE, 2, "w2@host")


def test_a_run_that_failed_every_retry_is_given_up_and_reported(sent, capsys):
    now = timezone.now()
    run = _run(status=RunStatus.FAILED, attempts=effects.MAX_ATTEMPTS, claimed_at=now)
    publishing.sweep(now=now + timedelta(hours=2))
    assert _resent(sent, run) == 0
    assert effects.perform_side_effect(run_id=run.pk) is False  # a late duplicate delivery

    call_command("publication_status")
    out = capsys.readouterr()
    assert "Side effects retrying: 0" in out.out
    assert "Side effects given up (run again from the admin): 1" in out.out
    assert "Attention needed" in out.err

    effects.retry_run(run_id=run.pk)  # staff: "Run again"
    assert _resent(sent, run) == 1
    assert SideEffectRun.objects.get(pk=run.pk).status == RunStatus.PENDING


def test_publication_status_lists_a_failing_run_as_retrying_with_its_deadline(capsys):
    _run(status=RunStatus.FAILED, attempts=2, claimed_at=timezone.now())
    call_command("publication_status")
    out = capsys.readouterr().out
    assert "Side effects retrying: 1" in out
    assert "retried by" in out


def test_a_starting_worker_releases_its_own_lost_claims_and_resends_held_runs(sent):
    started = timezone.now()
    before = started - timedelta(seconds=20)
    mine = _run(status=RunStatus.RUNNING, attempts=1, claimed_at=before, claimed_by="w1@host")
    other = _run(status=RunStatus.RUNNING, attempts=1, claimed_at=before, claimed_by="w2@host")
    fresh = _run(
        status=RunStatus.RUNNING,
        attempts=1,
        claimed_at=started + timedelta(seconds=1),
        claimed_by="w1@host",
    )
    failed = _run(status=RunStatus.FAILED, attempts=1, claimed_at=before)
    pending = _run(status=RunStatus.PENDING, created_at=before)

    summary = publishing.recover_after_restart(
        worker="w1@host", started_at=started, now=started + timedelta(seconds=2)
    )

    mine.refresh_from_db()
    assert mine.status == RunStatus.FAILED
    assert "w1@host" in mine.last_error
    for run in (mine, failed, pending):
        assert _resent(sent, run) == 1
    for run in (other, fresh):  # another worker's claim, or one taken since the start
        assert _resent(sent, run) == 0
        run.refresh_from_db()
        assert run.status == RunStatus.RUNNING
    assert summary["effects_resent"] == 3


# --- D: exact-time tasks a killed worker had reserved --------------------------------------


def _scheduled(*, at, now):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    return actions.SCHEDULE.execute(article_id=article.pk, by=None, publish_at=at, now=now)


def test_a_starting_worker_resends_exact_time_tasks_despite_their_markers(
    sent, django_capture_on_commit_callbacks
):
    now = timezone.now()
    at = now + timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        article = _scheduled(at=at, now=now)
    message = ("publishing.tasks.publish_scheduled_article", [article.pk], at)
    assert sent == [message]

    publishing.sweep(now=now + timedelta(seconds=30))  # the marker stops the sweep
    assert sent.count(message) == 1

    later = now + timedelta(minutes=1)
    publishing.recover_after_restart(worker="w1@host", started_at=later, now=later)
    assert sent.count(message) == 2  # sent again: it fires on time, not by a later sweep
    assert ExactTimeTask.objects.filter(article=article, due_at=at).count() == 1


def test_a_starting_worker_publishes_at_once_what_fell_due_while_it_was_down(sent):
    now = timezone.now()
    article = _scheduled(at=now + timedelta(seconds=5), now=now)
    ExactTimeTask.objects.create(article=article, action="publish", due_at=article.publish_at)

    later = now + timedelta(seconds=8)  # restarted 3 s after the time: no sweep interval to wait
    summary = publishing.recover_after_restart(worker="w1@host", started_at=later, now=later)

    article.refresh_from_db()
    assert summary["published"] == 1
    assert (article.status, article.published_at) == ("published", now + timedelta(seconds=5))


def test_worker_ready_sends_the_recovery_task(sent):
    tasks._recover_at_start(sender=SimpleNamespace(hostname="w1@host"))
    [(name, args, _)] = sent
    assert name == "publishing.tasks.recover_after_restart"
    assert args[0] == "w1@host"


# --- /healthz thresholds for an on-call editor ----------------------------------------------


def test_beat_sends_a_heartbeat_often_enough_to_be_stale_within_a_minute():
    every = settings.CELERY_BEAT_SCHEDULE["newsroom-heartbeat"]["schedule"]
    assert 15 <= every <= 30
    assert settings.WORKER_STALE_AFTER_SECONDS == 60
    assert settings.WORKER_STALE_AFTER_SECONDS >= 2 * every  # one lost beat is not an alarm
    assert settings.PIPELINE_LATE_AFTER_SECONDS == 45
    assert settings.PIPELINE_LATE_AFTER_SECONDS > settings.PIPELINE_SWEEP_SECONDS


@pytest.mark.parametrize(("age", "ok"), [(30, True), (59, True), (61, False), (179, False)])
def test_healthz_calls_the_worker_stale_after_a_minute(client, age, ok):
    ProcessHeartbeat.objects.create(name="worker", seen_at=timezone.now() - timedelta(seconds=age))
    check = client.get("/healthz").json()["checks"]["worker"]
    assert check["ok"] is ok, check


@pytest.mark.parametrize(("past_due", "ok"), [(30, True), (43, True), (47, False), (119, False)])
def test_healthz_reports_a_publication_late_after_45_seconds(client, past_due, ok):
    now = timezone.now()
    article = _scheduled(at=now + timedelta(minutes=5), now=now)
    Article.objects.filter(pk=article.pk).update(publish_at=now - timedelta(seconds=past_due))
    check = client.get("/healthz").json()["checks"]["publication"]
    assert check["ok"] is ok, check
