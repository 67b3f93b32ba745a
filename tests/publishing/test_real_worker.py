"""The publication pipeline against real Celery worker and beat processes.

They run on SQLite with the filesystem broker and, in CI, on PostgreSQL and
Redis. Nothing here uses eager mode: the test process schedules through the
workflow's Schedule action, and separate processes do the rest.
"""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, ArticleTransition
from newsroom.celery import app as celery_app
from publishing import actions, tasks
from publishing.models import SideEffectRun
from tests.conftest import TEST_QUEUE, wait_for
from tests.factories import ArticleFactory

from .conftest import start_beat, start_worker

pytestmark = pytest.mark.worker


def _draft():
    return ArticleFactory(status=Article.Status.DRAFT, published_at=None)


def _schedule(article, *, seconds: float):
    publish_at = timezone.now() + timedelta(seconds=seconds)
    actions.SCHEDULE.execute(
        article_id=article.pk, by=None, publish_at=publish_at, now=timezone.now()
    )
    return publish_at


def _status(article) -> str:
    return Article.objects.values_list("status", flat=True).get(pk=article.pk)


def _publishes(article):
    return ArticleTransition.objects.filter(article=article, to_status="published")


def test_article_scheduled_seconds_ahead_goes_live_at_its_time(processes, tmp_path):
    # No beat: only the exact-time task can publish it.
    processes.append(start_worker(tmp_path / "worker.log"))
    article = _draft()
    publish_at = _schedule(article, seconds=3)
    assert _status(article) == "scheduled"

    wait_for(lambda: _status(article) == "published", timeout=20, interval=0.1)

    went_live = _publishes(article).get()
    assert went_live.by is None  # the scheduler, not a person
    assert went_live.at >= publish_at  # never early
    print(f"live {(went_live.at - publish_at).total_seconds():.2f} s after publish_at")


def test_duplicate_deliveries_publish_once_and_fire_each_side_effect_once(
    processes, tmp_path, webhook_receiver
):
    mail_dir = tmp_path / "mail"
    # Three pool processes, so the three deliveries below really run at once.
    processes.append(
        start_worker(
            tmp_path / "worker.log",
            concurrency=3,
            PIPELINE_WEBHOOK_URLS=webhook_receiver.url,
            PIPELINE_NOTIFY_EMAILS="desk@example.com",
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_dir),
        )
    )
    article = _draft()
    publish_at = _schedule(article, seconds=2)
    # The same publish task delivered twice more (a redelivery, a second enqueue).
    tasks.publish_scheduled_article.apply_async(args=[article.pk], eta=publish_at)
    tasks.publish_scheduled_article.apply_async(args=[article.pk], eta=publish_at)

    expected = {"purge_caches", "feeds_sitemaps", "notify:webhook", "notify:email"}
    wait_for(
        lambda: (
            set(
                SideEffectRun.objects.filter(article=article, status="done").values_list(
                    "effect", flat=True
                )
            )
            == expected
        ),
        timeout=30,
    )
    processes[0].wait_for_output("publish_scheduled_article", count=3)
    # Let any straggling duplicate finish before counting.
    wait_for(lambda: processes[0].output().count("publish_scheduled_article[") >= 6, timeout=15)

    assert _publishes(article).count() == 1
    runs = SideEffectRun.objects.filter(article=article)
    assert runs.count() == len(expected)
    assert all(run.attempts == 1 for run in runs)
    assert len(webhook_receiver.received) == 1
    assert json.loads(webhook_receiver.received[0])["article_id"] == article.pk
    assert len(list(mail_dir.iterdir())) == 1


def test_worker_killed_mid_publish_leaves_the_article_to_the_sweep(processes, tmp_path):
    slow = start_worker(tmp_path / "slow.log", PIPELINE_TEST_PUBLISH_PAUSE="60")
    processes.append(slow)
    article = _draft()
    _schedule(article, seconds=1)
    slow.wait_for_output(f"publishing due article {article.pk}", timeout=20)

    slow.kill()  # SIGKILL mid-transaction: the publish never commits
    assert _status(article) == "scheduled"
    assert not _publishes(article).exists()

    processes.append(start_worker(tmp_path / "worker.log"))
    processes.append(start_beat(tmp_path))
    wait_for(lambda: _status(article) == "published", timeout=30)
    assert _publishes(article).count() == 1
    assert "sweep_publications" in processes[1].output()


def test_a_worker_killed_holding_the_exact_time_task_is_replaced_on_time(processes, tmp_path):
    # No beat: only the task a starting worker sends again can publish it.
    first = start_worker(tmp_path / "first.log")
    processes.append(first)
    article = _draft()
    publish_at = _schedule(article, seconds=12)
    first.wait_for_output("publishing.tasks.publish_scheduled_article[")
    first.kill()  # kill -9 while it holds the ETA message

    processes.append(start_worker(tmp_path / "second.log"))
    wait_for(lambda: _status(article) == "published", timeout=30, interval=0.1)
    went_live = _publishes(article).get()
    assert went_live.at >= publish_at
    assert (went_live.at - publish_at).total_seconds() < 5  # on time, not by a sweep


def test_purged_queue_is_recovered_by_the_sweep(processes, tmp_path):
    article = _draft()
    _schedule(article, seconds=1)
    with celery_app.connection_for_write() as connection:
        purged = connection.default_channel.queue_purge(TEST_QUEUE)
    assert purged >= 1  # the exact-time task was in the broker and is gone

    processes.append(start_worker(tmp_path / "worker.log"))
    processes.append(start_beat(tmp_path))
    wait_for(lambda: _status(article) == "published", timeout=30)
    assert _publishes(article).count() == 1


def test_schedule_moved_later_is_not_published_early(processes, tmp_path):
    worker = start_worker(tmp_path / "worker.log")
    processes.append(worker)
    article = _draft()
    _schedule(article, seconds=2)
    _schedule(article, seconds=3600)  # the editor moves it an hour later

    # The first exact-time task still fires, finds it not due, and does nothing.
    fired = re.compile(r"publish_scheduled_article\[[^\]]+\] succeeded in [\d.]+s: False")
    wait_for(lambda: fired.search(worker.output()), timeout=20)
    assert _status(article) == "scheduled"
    assert not _publishes(article).exists()


def test_a_second_beat_stands_by_until_the_first_is_gone(processes, tmp_path):
    first = start_beat(tmp_path, "first")
    processes.append(first)
    first.wait_for_output("Sending due task publication-sweep", count=2)
    second = start_beat(tmp_path, "second")
    processes.append(second)
    # The second has started when it says so (slow to import on a loaded
    # machine); from then on, the first keeps sending and the second does not.
    second.wait_for_output("standing by", timeout=60)
    sent = first.output().count("Sending due task publication-sweep")
    first.wait_for_output("Sending due task publication-sweep", count=sent + 3)
    assert "Sending due task" not in second.output()

    first.kill()  # no clean release: the lease has to run out (3 s here)
    second.wait_for_output("Sending due task publication-sweep", timeout=20)
    assert "holds the beat lock" in second.output()
