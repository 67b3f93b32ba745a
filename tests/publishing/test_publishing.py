"""The pipeline's services and tasks, called directly (no broker, no eager mode).

Enqueueing is observed by recording ``apply_async``/``delay`` calls: what a
worker then does with a message is the job of ``test_real_worker.py``.
"""

from datetime import timedelta

import pytest
from celery.signals import task_failure
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from articles.models import Article, ArticleTransition
from pagecache import store as page_cache
from publishing import actions, effects, tasks
from publishing import pipeline as publishing
from publishing.models import SideEffectRun, TaskFailure
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Every message the code under test hands to the broker: (task name, args, eta)."""
    messages = []

    def record(task):
        def apply_async(args=None, kwargs=None, eta=None, **options):
            messages.append((task.name, list(args or []), eta))

        def delay(*args):
            messages.append((task.name, list(args), None))

        monkeypatch.setattr(task, "apply_async", apply_async)
        monkeypatch.setattr(task, "delay", delay)

    for name in dir(tasks):
        task = getattr(tasks, name)
        if hasattr(task, "apply_async") and getattr(task, "name", "").startswith("publishing."):
            record(task)
    return messages


def _draft(**kwargs):
    return ArticleFactory(status=Article.Status.DRAFT, published_at=None, **kwargs)


def _schedule(article, *, at, now=None):
    return actions.SCHEDULE.execute(
        article_id=article.pk, by=None, publish_at=at, now=now or timezone.now()
    )


def _publishes(article):
    return ArticleTransition.objects.filter(article=article, to_status="published")


def test_scheduling_enqueues_the_exact_time_task_only_after_commit(
    sent, django_capture_on_commit_callbacks
):
    article = _draft()
    at = timezone.now() + timedelta(minutes=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _schedule(article, at=at)
    assert sent == []  # nothing reaches a worker before the row is committed
    for callback in callbacks:
        callback()
    assert sent == [("publishing.tasks.publish_scheduled_article", [article.pk], at)]


def test_far_future_schedule_stays_out_of_the_broker_until_the_sweep_brings_it_near(
    sent, django_capture_on_commit_callbacks
):
    article = _draft()
    now = timezone.now()
    at = now + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        _schedule(article, at=at, now=now)
    assert sent == []

    publishing.sweep(now=at - timedelta(minutes=5))
    publishing.sweep(now=at - timedelta(minutes=4))  # a second sweep does not enqueue again
    assert sent == [("publishing.tasks.publish_scheduled_article", [article.pk], at)]


def test_moved_schedule_gets_a_new_task_and_the_old_one_does_nothing(
    sent, django_capture_on_commit_callbacks
):
    article = _draft()
    now = timezone.now()
    first, later = now + timedelta(seconds=30), now + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        _schedule(article, at=first, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        _schedule(article, at=later, now=now)
    assert [eta for _, _, eta in sent] == [first, later]

    assert publishing.publish_if_due(article_id=article.pk, now=first) is False
    article.refresh_from_db()
    assert article.status == "scheduled"
    assert publishing.publish_if_due(article_id=article.pk, now=later) is True


def test_cancelled_schedule_is_not_published_by_its_task():
    article = _draft()
    at = timezone.now() + timedelta(minutes=1)
    _schedule(article, at=at)
    actions.RETURN_TO_DRAFT.execute(article_id=article.pk, by=None, now=timezone.now())
    assert publishing.publish_if_due(article_id=article.pk, now=at + timedelta(seconds=1)) is False
    article.refresh_from_db()
    assert article.status == "draft"


def test_publish_task_run_twice_publishes_once_at_the_scheduled_time(sent):
    article = _draft()
    at = timezone.now() + timedelta(seconds=1)
    _schedule(article, at=at)
    article.publish_at = timezone.now() - timedelta(seconds=1)  # its time has come
    Article.objects.filter(pk=article.pk).update(publish_at=article.publish_at)

    assert tasks.publish_scheduled_article.run(article.pk) is True
    assert tasks.publish_scheduled_article.run(article.pk) is False
    article.refresh_from_db()
    assert article.status == "published"
    assert article.published_at == article.publish_at
    assert _publishes(article).get().by is None


def test_side_effects_start_once_and_each_runs_once(sent, settings):
    settings.PIPELINE_NOTIFY_EMAILS = ["desk@example.com"]
    article = ArticleFactory()
    transition = ArticleTransition.objects.create(
        article=article, from_status="scheduled", to_status="published"
    )
    assert effects.start_side_effects(transition_id=transition.pk) == 3
    assert effects.start_side_effects(transition_id=transition.pk) == 0  # duplicate fan-out
    runs = SideEffectRun.objects.filter(transition=transition)
    assert set(runs.values_list("effect", flat=True)) == {
        "purge_caches",
        "feeds_sitemaps",
        "notify:email",
    }
    for run in runs:
        assert effects.perform_side_effect(run_id=run.pk) is True
        assert effects.perform_side_effect(run_id=run.pk) is False
    assert set(runs.values_list("status", "attempts")) == {("done", 1)}
    assert len(mail.outbox) == 1


def test_failing_side_effect_retries_and_never_unpublishes(monkeypatch):
    article = ArticleFactory()
    transition = ArticleTransition.objects.create(
        article=article, from_status="scheduled", to_status="published"
    )
    run = SideEffectRun.objects.create(
        transition=transition, article=article, effect="purge_caches"
    )
    calls = []

    def flaky(purged):
        calls.append(purged.pk)
        if len(calls) == 1:
            raise ConnectionError("CDN unreachable")

    monkeypatch.setattr(page_cache, "purge_for_article", flaky)
    with pytest.raises(ConnectionError):
        effects.perform_side_effect(run_id=run.pk)
    run.refresh_from_db()
    article.refresh_from_db()
    assert (run.status, article.status) == ("failed", "published")
    assert "CDN unreachable" in run.last_error

    assert effects.perform_side_effect(run_id=run.pk) is True  # the retry
    run.refresh_from_db()
    assert (run.status, run.attempts, calls) == ("done", 2, [article.pk, article.pk])


def test_side_effect_tasks_retry_with_backoff():
    for task in (
        tasks.purge_article_caches,
        tasks.refresh_feeds_and_sitemaps,
        tasks.send_notification,
    ):
        assert task.autoretry_for == (Exception,)
        assert task.retry_backoff
        assert task.max_retries >= 5
        assert task.acks_late


def test_a_run_claimed_by_a_live_worker_is_not_run_twice_but_a_lost_claim_is():
    article = ArticleFactory()
    transition = ArticleTransition.objects.create(
        article=article, from_status="scheduled", to_status="published"
    )
    now = timezone.now()
    run = SideEffectRun.objects.create(
        transition=transition, article=article, effect="feeds_sitemaps", status="running",
        claimed_at=now, attempts=1,
    )  # fmt: skip
    assert effects.perform_side_effect(run_id=run.pk, now=now) is False
    later = now + effects.CLAIM_TIMEOUT + timedelta(seconds=1)
    assert effects.perform_side_effect(run_id=run.pk, now=later) is True


def test_embargoed_article_starts_its_side_effects_when_the_embargo_lifts(sent):
    now = timezone.now()
    article = _draft(embargo_until=now + timedelta(minutes=10))
    _schedule(article, at=now + timedelta(seconds=1), now=now)
    publishing.publish_if_due(article_id=article.pk, now=now + timedelta(seconds=2))
    effects.after_publish(article_id=article.pk, now=now + timedelta(seconds=2))
    assert not any(name.endswith("start_side_effects") for name, _, _ in sent)
    assert ("publishing.tasks.lift_embargo", [article.pk], article.embargo_until) in sent
    assert not SideEffectRun.objects.exists()

    publishing.sweep(now=now + timedelta(minutes=5))  # still embargoed
    assert not SideEffectRun.objects.exists()
    assert not effects.lift_embargo_if_due(article_id=article.pk, now=now + timedelta(minutes=9))
    assert effects.lift_embargo_if_due(article_id=article.pk, now=now + timedelta(minutes=10))
    assert SideEffectRun.objects.filter(article=article).count() == 2


def test_sweep_publishes_what_a_lost_task_missed_and_starts_its_side_effects(sent):
    article = _draft()
    now = timezone.now()
    _schedule(article, at=now + timedelta(seconds=5), now=now)
    summary = publishing.sweep(now=now + timedelta(seconds=40))
    article.refresh_from_db()
    assert article.status == "published"
    assert summary["published"] == 1
    # The publish's own fan-out message was lost too: the sweep starts the effects.
    assert summary["effects_started"] == 2
    assert publishing.sweep(now=now + timedelta(seconds=70))["effects_started"] == 0


def test_sweep_unpublishes_at_expiry_and_purges_caches(sent):
    now = timezone.now()
    article = ArticleFactory(expires_at=now + timedelta(hours=1))
    assert publishing.sweep(now=now)["expired"] == 0
    assert publishing.sweep(now=now + timedelta(hours=1, seconds=1))["expired"] == 1
    article.refresh_from_db()
    assert article.status == "unpublished"
    assert ArticleTransition.objects.get(article=article).note == "expired"


def test_sweep_keeps_going_past_an_article_it_cannot_publish_and_records_why(sent):
    now = timezone.now()
    broken, fine = _draft(), _draft()
    for article in (broken, fine):
        _schedule(article, at=now + timedelta(seconds=1), now=now)
    Article.objects.filter(pk=broken.pk).update(body="")  # emptied after scheduling

    publishing.sweep(now=now + timedelta(seconds=5))
    publishing.sweep(now=now + timedelta(seconds=35))
    fine.refresh_from_db()
    assert fine.status == "published"
    failure = TaskFailure.objects.get(article=broken)
    assert "body is empty" in failure.error
    assert failure.occurrences == 2  # a repeat bumps the count, no new row


def test_late_article_is_reported_in_healthz_and_the_log(client, caplog):
    article = _draft(headline="Berita yang terlambat")
    _schedule(article, at=timezone.now() + timedelta(seconds=1))
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - timedelta(minutes=3))
    response = client.get("/healthz")
    assert response.status_code == 200  # reported, the site still serves
    check = response.json()["checks"]["publication"]
    assert check["ok"] is False
    assert "Berita yang terlambat" in check["detail"]
    assert "late articles" in caplog.text


def test_healthz_publication_check_is_ok_when_nothing_is_late(client):
    _schedule(_draft(), at=timezone.now() + timedelta(minutes=10))
    Article.objects.update(publish_at=timezone.now() - timedelta(seconds=30))  # due, not late
    assert client.get("/healthz").json()["checks"]["publication"]["ok"] is True


def test_failed_task_is_recorded_for_staff_once_with_a_count():
    article = ArticleFactory()
    for _ in range(2):
        task_failure.send(
            sender=tasks.publish_scheduled_article,
            task_id="abc",
            exception=ValueError("boom"),
            args=[article.pk],
            kwargs={},
            einfo=None,
        )
    failure = TaskFailure.objects.get()
    assert (failure.task_name, failure.article, failure.occurrences) == (
        "publishing.tasks.publish_scheduled_article",
        article,
        2,
    )


def test_publication_status_command_lists_due_late_failed_and_upcoming(capsys):
    now = timezone.now()
    late, upcoming = _draft(headline="Sudah telat"), _draft(headline="Nanti sore")
    _schedule(late, at=now + timedelta(seconds=1))
    _schedule(upcoming, at=now + timedelta(hours=5))
    Article.objects.filter(pk=late.pk).update(publish_at=now - timedelta(minutes=5))
    publishing.record_failure(task_name="publishing.tasks.send_notification", error="Timeout")

    call_command("publication_status")
    out = capsys.readouterr()
    assert "Due now: 1" in out.out
    assert f"LATE #{late.pk} 'Sudah telat'" in out.out
    assert "Late (more than 45 s): 1" in out.out
    assert "Failed tasks: 1" in out.out
    assert "Timeout" in out.out
    assert "'Nanti sore' at" in out.out
    assert "Attention needed" in out.err


def test_status_page_is_for_editors_not_readers_or_subscription_staff(client):
    client.force_login(UserFactory())
    assert client.get("/ops/pipeline/status/").status_code == 302  # to the admin login
    client.force_login(UserFactory(role="Subscription staff"))
    assert client.get("/ops/pipeline/status/").status_code == 403
    client.force_login(UserFactory(role="Editor"))
    assert client.get("/ops/pipeline/status/").status_code == 200
    assert client.get("/admin/pipeline/taskfailure/").status_code == 200


def test_reporter_sees_an_article_log_but_not_failed_tasks(client):
    client.force_login(UserFactory(role="Reporter"))
    article = _draft()
    assert client.get(f"/ops/pipeline/articles/{article.pk}/log/").status_code == 200
    assert client.get("/ops/pipeline/status/").status_code == 403


def test_status_page_shows_late_failures_and_the_log_in_constant_queries(
    client, django_assert_max_num_queries
):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    now = timezone.now()
    for n in range(6):
        article = _draft(headline=f"Terjadwal {n}")
        _schedule(article, at=now + timedelta(seconds=1))
        publishing.record_failure(
            task_name="publishing.tasks.send_notification", article_id=article.pk, error=f"E{n}"
        )
    Article.objects.update(publish_at=now - timedelta(minutes=5))
    with django_assert_max_num_queries(12):
        response = client.get("/ops/pipeline/status/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Terjadwal 5" in body
    assert "E5" in body


@pytest.mark.usefixtures("english")
def test_article_log_page_shows_each_status_change_and_side_effect(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    article = _draft()
    _schedule(article, at=timezone.now() + timedelta(seconds=1))
    response = client.get(f"/ops/pipeline/articles/{article.pk}/log/")
    assert response.status_code == 200
    assert "Draft → Scheduled" in response.content.decode()
    assert client.get("/ops/pipeline/articles/999999/log/").status_code == 404


def test_admin_lists_failed_tasks_and_the_publication_log(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    publishing.record_failure(
        task_name="publishing.tasks.refresh_feeds_and_sitemaps", error="Index down"
    )
    assert b"Index down" in client.get("/admin/pipeline/taskfailure/").content
    _schedule(_draft(headline="Tercatat"), at=timezone.now() + timedelta(minutes=1))
    assert b"Tercatat" in client.get("/admin/pipeline/publicationlogentry/").content
