"""The article admin joined to the pipeline: the change page shows the
publication log with its side-effect runs, and scheduling from the admin goes
through the Schedule action (``publishing.actions``), whose exact-time task leaves after commit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from core.roles import EDITOR
from publishing import actions, effects, tasks
from publishing.models import SideEffectRun
from tests.factories import ArticleFactory, UserFactory

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def sent(monkeypatch):
    """Messages handed to the broker by the code under test: (task name, args, eta)."""
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


def _publish(article, by, sent, django_capture_on_commit_callbacks):
    """Publish, then do what the worker does with the start-side-effects message."""
    with django_capture_on_commit_callbacks(execute=True):
        actions.PUBLISH.execute(article_id=article.pk, by=by, now=timezone.now(), note="siap")
    [transition_id] = [
        args[0] for name, args, _ in sent if name == "publishing.tasks.start_side_effects"
    ][-1:]
    with django_capture_on_commit_callbacks(execute=True):
        effects.start_side_effects(transition_id=transition_id)


def test_change_page_shows_the_publication_log_and_side_effect_runs(
    client, sent, django_capture_on_commit_callbacks
):
    editor = UserFactory(role=EDITOR, first_name="Rina", last_name="Redaktur")
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    _publish(article, editor, sent, django_capture_on_commit_callbacks)
    run = SideEffectRun.objects.get(article=article, effect="feeds_sitemaps")
    SideEffectRun.objects.filter(pk=run.pk).update(
        status=SideEffectRun.Status.FAILED, attempts=2, last_error="Indeks mati sebentar"
    )

    client.force_login(editor)
    page = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()

    assert "Draft → Published" in page
    assert "Rina Redaktur" in page
    assert "siap" in page
    for effect in ("purge_caches", "feeds_sitemaps"):
        assert effect in page
    assert "Failed (retrying)" in page
    assert "Indeks mati sebentar" in page


@pytest.mark.parametrize("changes", [1, 6])
def test_change_page_queries_do_not_grow_with_the_log(
    client, sent, django_capture_on_commit_callbacks, django_assert_max_num_queries, changes
):
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    for _ in range(changes):
        _publish(article, editor, sent, django_capture_on_commit_callbacks)
        actions.UNPUBLISH.execute(article_id=article.pk, by=editor, now=timezone.now())
    client.force_login(editor)
    client.get(f"/admin/articles/article/{article.pk}/change/")  # warm per-process caches
    with django_assert_max_num_queries(40):
        response = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert response.content.decode().count("Published → Unpublished") == changes


def test_scheduling_in_the_admin_sends_the_exact_time_task_only_after_commit(
    client, sent, django_capture_on_commit_callbacks
):
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Article.Status.IN_REVIEW, published_at=None)
    when = timezone.localtime(timezone.now() + timedelta(minutes=3)).replace(
        second=0, microsecond=0
    )
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            f"/admin/articles/article/{article.pk}/workflow/schedule/",
            {"publish_at": when.strftime("%Y-%m-%dT%H:%M"), "note": "pagi"},
        )
    assert sent == []  # no worker may see the schedule before the row is committed
    article.refresh_from_db()
    assert article.status == Article.Status.SCHEDULED
    assert article.publish_at == when
    transition = article.transitions.get(to_status="scheduled")
    assert transition.by == editor  # the action's log entry, not a direct row update

    for callback in callbacks:
        callback()
    assert ("publishing.tasks.publish_scheduled_article", [article.pk], when) in sent
