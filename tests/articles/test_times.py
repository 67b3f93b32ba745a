"""Every way of setting a time goes through one rule and the one Schedule action.

The change form, the Schedule button, a revision restore (and the API, in
``tests/api/test_editor.py``) refuse a publish, embargo or expiry time outside
``articles.timewindow``, a scheduled article without a time or with a time
in the past; and a time changed on the form is planned like the button's.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles import revisions, timewindow
from articles.models import Article, Revision
from core.roles import EDITOR
from publishing import actions, tasks
from publishing.models import ExactTimeTask
from tests.factories import ArticleFactory, UserFactory

from .test_admin import change_url, form_data

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Article.Status

OVERFLOWING = ["9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00"]


@pytest.fixture
def sent(monkeypatch):
    """Messages handed to the broker: (task name, args, eta)."""
    messages = []
    for name in ("publish_scheduled_article", "lift_embargo", "expire_article"):
        task = getattr(tasks, name)

        def apply_async(args=None, kwargs=None, eta=None, _task=task, **options):
            messages.append((_task.name, list(args or []), eta))

        monkeypatch.setattr(task, "apply_async", apply_async)
    return messages


@pytest.fixture
def editor(client):
    user = UserFactory(role=EDITOR)
    client.force_login(user)
    return user


def local(moment) -> dict:
    """A time as the admin's split date/time widget posts it."""
    moment = timezone.localtime(moment)
    return {"0": f"{moment:%Y-%m-%d}", "1": f"{moment:%H:%M:%S}"}


def with_times(article, **times) -> dict:
    """The change form's data with these times (None: the field left empty)."""
    data = form_data(article)
    for name in timewindow.TIME_FIELDS:
        value = times.get(name, getattr(article, name))
        parts = local(value) if value is not None else {"0": "", "1": ""}
        data |= {f"{name}_{key}": part for key, part in parts.items()}
    return data


def scheduled(*, by, at=None, article=None) -> Article:
    article = article or ArticleFactory(status=Status.IN_REVIEW, published_at=None)
    at = at or (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    actions.SCHEDULE.execute(article_id=article.pk, by=by, publish_at=at, now=timezone.now())
    article.refresh_from_db()
    return article


# --- A: the change form's time is planned like the Schedule button's ------------------


def test_moving_publish_at_on_the_form_plans_and_logs_it_as_a_schedule(
    client, editor, sent, django_capture_on_commit_callbacks
):
    article = scheduled(by=editor)
    sooner = (timezone.now() + timedelta(minutes=5)).replace(microsecond=0)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(article), with_times(article, publish_at=sooner))

    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert (article.status, article.publish_at) == (Status.SCHEDULED, sooner)
    moved = article.transitions.first()
    assert (moved.from_status, moved.to_status, moved.by) == ("scheduled", "scheduled", editor)
    assert moved.note.startswith("moved to")
    assert sent == [("publishing.tasks.publish_scheduled_article", [article.pk], sooner)]


def test_an_embargo_set_on_the_form_of_a_published_article_is_planned(
    client, editor, sent, django_capture_on_commit_callbacks
):
    article = ArticleFactory(status=Status.PUBLISHED)
    embargo = (timezone.now() + timedelta(minutes=3)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(article), with_times(article, embargo_until=embargo))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sent == [("publishing.tasks.lift_embargo", [article.pk], embargo)]
    assert ExactTimeTask.objects.filter(article=article, action="lift_embargo").exists()


def test_saving_without_changing_a_time_plans_nothing(
    client, editor, sent, django_capture_on_commit_callbacks
):
    article = scheduled(by=editor)
    sent.clear()
    before = article.transitions.count()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(change_url(article), with_times(article) | {"dek": "Diperbarui"})
    assert Article.objects.get(pk=article.pk).dek == "Diperbarui"
    assert article.transitions.count() == before
    assert sent == []


# --- B: no scheduled article without a time ---------------------------------------------


def test_clearing_publish_at_of_a_scheduled_article_is_refused_on_the_form(client, editor):
    article = scheduled(by=editor)
    response = client.post(change_url(article), with_times(article, publish_at=None))
    assert response.status_code == 200  # the form again, with the error
    assert "Return to draft" in response.content.decode()
    stored = Article.objects.get(pk=article.pk)
    assert (stored.status, stored.publish_at) == (Status.SCHEDULED, article.publish_at)


def test_restoring_a_revision_without_a_time_onto_a_scheduled_article_is_refused(client, editor):
    article = ArticleFactory(status=Status.IN_REVIEW, published_at=None)
    revisions.revision_record(article, by=editor, now=timezone.now())  # v1: no publish time
    old = Revision.objects.get(article=article)
    article = scheduled(by=editor, article=article)

    response = client.post(
        f"/admin/articles/article/{article.pk}/revisions/{old.pk}/restore/",
        {"expected_version": article.version},
        follow=True,
    )
    assert "Return to draft" in response.content.decode()
    stored = Article.objects.get(pk=article.pk)
    assert (stored.status, stored.publish_at, stored.version) == (
        Status.SCHEDULED,
        article.publish_at,
        article.version,
    )


def test_the_database_refuses_a_scheduled_article_without_a_time():
    article = ArticleFactory(status=Status.DRAFT, published_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(status=Status.SCHEDULED, publish_at=None)


# --- C: a schedule's time is in the future, however it is set ------------------------------


def test_a_past_publish_time_on_the_form_of_a_scheduled_article_is_refused(client, editor):
    article = scheduled(by=editor)
    past = timezone.now() - timedelta(hours=1)
    response = client.post(change_url(article), with_times(article, publish_at=past))
    assert response.status_code == 200
    assert "The publish time must be in the future." in response.content.decode()
    assert Article.objects.get(pk=article.pk).publish_at == article.publish_at


def test_restoring_a_revision_whose_time_has_passed_is_refused(client, editor):
    now = timezone.now()
    article = scheduled(by=editor, at=(now + timedelta(hours=1)).replace(microsecond=0))
    old = Revision.objects.create(
        article=article,
        version=article.version + 10,
        data=revisions.snapshot(article) | {"publish_at": (now - timedelta(hours=1)).isoformat()},
        body=article.body,
    )
    response = client.post(
        f"/admin/articles/article/{article.pk}/revisions/{old.pk}/restore/",
        {"expected_version": article.version},
        follow=True,
    )
    assert "must be in the future" in response.content.decode()
    assert Article.objects.get(pk=article.pk).publish_at == article.publish_at


# --- §1: every time within a sane window -----------------------------------------------------


@pytest.mark.parametrize("value", OVERFLOWING)
def test_the_schedule_button_refuses_a_time_outside_the_window(client, editor, value):
    article = ArticleFactory(status=Status.IN_REVIEW, published_at=None)
    response = client.post(
        f"/admin/articles/article/{article.pk}/workflow/schedule/",
        {"publish_at": value},
        follow=True,
    )
    assert "Choose a time between" in response.content.decode()
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW
    # Nothing was stored that breaks a page.
    for url in (change_url(article), "/ops/pipeline/status/", "/admin/articles/article/"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", timewindow.TIME_FIELDS)
@pytest.mark.parametrize(
    "when",
    [
        # Noon UTC: still 31 December 9999 in Jakarta, which the form's widget
        # shows (``now`` on that day overflowed from 17:00 UTC on).
        datetime(9999, 12, 31, 12, 0, tzinfo=UTC),
        timewindow.EARLIEST - timedelta(days=1),
    ],
)
def test_the_change_form_refuses_any_time_outside_the_window(client, editor, name, when):
    article = ArticleFactory(status=Status.DRAFT, published_at=None)
    response = client.post(change_url(article), with_times(article, **{name: when}))
    assert response.status_code == 200
    assert "Choose a time between" in response.content.decode()
    assert getattr(Article.objects.get(pk=article.pk), name) is None


def test_restoring_a_revision_with_a_time_outside_the_window_is_refused(client, editor):
    article = ArticleFactory(status=Status.DRAFT, published_at=None)
    bad = Revision.objects.create(
        article=article,
        version=5,
        data=revisions.snapshot(article) | {"expires_at": "9999-12-31T23:59:59+00:00"},
        body=article.body,
    )
    response = client.post(
        f"/admin/articles/article/{article.pk}/revisions/{bad.pk}/restore/",
        {"expected_version": article.version},
        follow=True,
    )
    assert "Choose a time between" in response.content.decode()
    assert Article.objects.get(pk=article.pk).expires_at is None


def test_the_window_is_about_five_years_and_refuses_without_overflowing():
    now = timezone.now()
    timewindow.check_time(now + timedelta(days=4 * 365), now=now)
    timewindow.check_time(timewindow.EARLIEST, now=now)
    for value in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        with pytest.raises(timewindow.ValidationError):
            timewindow.check_time(timezone.datetime.fromisoformat(value), now=now)
