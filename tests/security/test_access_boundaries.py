"""The admin, previews and unpublished articles stay out of readers' reach; logins are throttled."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, UserFactory

from .url_discovery import endpoints

pytestmark = pytest.mark.django_db

SECRET = "RAHASIA-PARAGRAF-TIGA"


def _client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_no_admin_page_answers_a_reader(who, reader, superuser):
    client = _client_for(reader if who == "reader" else None)
    values = {"object_id": str(reader.history["subscription"].pk), "id": str(superuser.pk)}
    problems, checked = [], 0
    for endpoint in endpoints(values):
        if not endpoint.is_admin or endpoint.name == "admin:login":
            continue
        checked += 1
        response = client.get(endpoint.path)
        if response.status_code in (404, 405):
            continue
        location = response.get("Location", "")
        if endpoint.name == "admin:logout" and location == "/admin/":
            continue  # Django sends non-staff from the admin's logout to its index, then login
        if response.status_code != 302 or not location.startswith("/admin/login/"):
            problems.append(f"{endpoint.path}: {response.status_code} {location}")
        if superuser.email.encode() in response.content:
            problems.append(f"{endpoint.path}: shows staff data")
    assert checked > 20
    assert problems == []


def test_a_reader_posting_to_the_admin_changes_nothing(reader):
    sub = reader.history["subscription"]
    client = _client_for(reader)
    response = client.post(
        "/admin/subscriptions/subscription/",
        {"action": "staff_cancel", "_selected_action": [sub.pk], "reason": "x"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    before = sub.status
    sub.refresh_from_db()
    assert sub.status == before


def test_admin_login_is_throttled_after_repeated_failures(settings, superuser):
    client = Client()
    wrong = {"username": superuser.username, "password": "salah", "next": "/admin/"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/admin/login/", wrong).status_code == 200  # the form, with its error
    assert client.post("/admin/login/", wrong).status_code == 429
    right = {**wrong, "password": "newsroom-test"}
    assert client.post("/admin/login/", right).status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_a_reader_with_a_staff_password_guess_cannot_enter_the_admin(reader):
    """A reader who logs in at the admin login with their own password is refused."""
    client = Client()
    response = client.post(
        "/admin/login/", {"username": reader.username, "password": "newsroom-test"}
    )
    assert response.status_code == 200  # the form again: not a staff account
    assert client.get("/admin/").status_code == 302


@pytest.fixture
def unpublished(site):
    now = timezone.now()
    section = site["section"]
    return {
        "draft": ArticleFactory(
            section=section, status=Article.Status.DRAFT, published_at=None, slug="draf"
        ),
        "in_review": ArticleFactory(
            section=section, status=Article.Status.IN_REVIEW, published_at=None, slug="tinjau"
        ),
        "scheduled": ArticleFactory(
            section=section,
            status=Article.Status.SCHEDULED,
            published_at=None,
            publish_at=now + timedelta(hours=2),
            slug="terjadwal",
        ),
        "embargoed": ArticleFactory(
            section=section, embargo_until=now + timedelta(hours=2), slug="embargo"
        ),
        "expired": ArticleFactory(
            section=section, expires_at=now - timedelta(minutes=1), slug="kedaluwarsa"
        ),
        "unpublished": ArticleFactory(
            section=section, status=Article.Status.UNPUBLISHED, slug="ditarik"
        ),
    }


@pytest.mark.parametrize("who", ["anonymous", "reader", "premium"])
def test_unpublished_articles_are_404_for_readers(who, unpublished, reader, premium_reader):
    client = _client_for({"anonymous": None, "reader": reader, "premium": premium_reader}[who])
    for state, article in unpublished.items():
        response = client.get(article.get_absolute_url())
        assert response.status_code == 404, state
        assert SECRET.encode() not in response.content, state
    home = client.get("/").content.decode()
    for state, article in unpublished.items():
        assert article.headline not in home, state


def _preview_paths(article_pk: int) -> list[str]:
    values = {"pk": str(article_pk), "article_id": str(article_pk), "id": str(article_pk)}
    return [
        e.path
        for e in endpoints(values)
        if "preview" in e.name.lower() and not e.is_api and not e.is_admin
    ]


def test_previews_are_for_staff_only(unpublished, reader, premium_reader):
    draft = unpublished["draft"]
    editor = UserFactory(username="pratinjau", role="Editor")
    staff_client = _client_for(editor)
    paths = [
        p
        for p in _preview_paths(draft.pk) + [f"/preview/{draft.pk}/"]
        if staff_client.get(p, follow=True).status_code == 200
    ]
    if not paths:
        pytest.skip("no preview page answers staff yet (the reader site adds /preview/<pk>/)")
    for user in (None, reader, premium_reader):
        client = _client_for(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code in (302, 403, 404), (path, user)
            if response.status_code == 302:
                assert "login" in response["Location"] or "masuk" in response["Location"]
            assert SECRET.encode() not in response.content
            assert draft.headline.encode() not in response.content
