"""Database unreachable: every page, the admin and the API answer 503, never a stack trace."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

from tests.factories import ArticleFactory, UserFactory
from tests.security.url_discovery import endpoints

pytestmark = pytest.mark.django_db


@pytest.fixture
def lose_database(monkeypatch):
    """Call it to make every new query fail the way a dead server does."""

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    def lose():
        monkeypatch.setattr(connection, "ensure_connection", refuse)

    return lose


def _paths(article) -> list[str]:
    values = {"pk": str(article.pk), "object_id": "1", "id": "1", "slug": article.slug}
    # /healthz reports the outage itself (tested below); the webhook only takes POSTs.
    skip = ("healthz", "subscriptions:webhook")
    found = [e.path for e in endpoints(values) if e.name not in skip]
    return [*found, article.get_absolute_url()]


def _check(response, path) -> list[str]:
    problems = []
    if response.status_code >= 500 and response.status_code != 503:
        problems.append(f"{path}: {response.status_code}")
    body = response.content
    # The database's address may only appear where a page legitimately names the
    # site (robots.txt's sitemap lines); an error page must not show it.
    named_host = response.status_code >= 500 and b"127.0.0.1" in body
    if b"Traceback" in body or b"OperationalError" in body or named_host:
        problems.append(f"{path}: leaks the error")
    if response.status_code == 503:
        if response.get("Retry-After") != "30":
            problems.append(f"{path}: 503 without Retry-After")
        if path.startswith("/api/"):
            html = path.endswith("/docs")  # Swagger UI is a page
            if not html and not response["Content-Type"].startswith("application/json"):
                problems.append(f"{path}: API 503 is not JSON")
        if not path.startswith("/api/") and b"<h1>" not in body:
            problems.append(f"{path}: 503 without the page")
    return problems


@pytest.mark.parametrize("who", ["anonymous", "reader", "staff"])
def test_every_get_answers_503_or_works_without_the_database(who, lose_database):
    article = ArticleFactory()
    client = Client(raise_request_exception=False)
    if who != "anonymous":
        user = UserFactory(username=who)
        if who == "staff":
            user.is_staff = user.is_superuser = True
            user.save()
        client.force_login(user)
    paths = _paths(article)
    lose_database()
    problems, unavailable = [], 0
    for path in paths:
        response = client.get(path)
        unavailable += response.status_code == 503
        problems += _check(response, path)
    assert not problems, "\n".join(problems)
    assert unavailable >= 5  # the database really was gone


def test_posts_answer_503_without_the_database(lose_database):
    UserFactory(username="tamu")
    client = Client(raise_request_exception=False)
    lose_database()
    for path, data in [
        ("/akun/masuk/", {"username": "tamu", "password": "newsroom-test"}),
        ("/admin/login/", {"username": "tamu", "password": "newsroom-test"}),
        ("/akun/daftar/", {"username": "b", "email": "b@example.com"}),
    ]:
        response = client.post(path, data)
        assert response.status_code == 503, path
        assert _check(response, path) == []


@pytest.mark.urls("tests.faults.probe_urls")
def test_an_api_operation_answers_json_503(lose_database):
    client = Client(raise_request_exception=False)
    assert client.get("/api/v1/_probe/count").json() == {"count": 0}
    lose_database()
    response = client.get("/api/v1/_probe/count")
    assert response.status_code == 503
    assert "database" in response.json()["detail"]
    assert _check(response, "/api/v1/_probe/count") == []


class LoseDatabaseInMiddleware:
    """Stands for a middleware (sessions, auth, axes) hitting a dead database outside the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        raise OperationalError("server closed the connection unexpectedly")


def test_a_database_error_outside_the_view_is_still_the_503_page(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.LoseDatabaseInMiddleware"]
    response = Client(raise_request_exception=False).get("/langganan/")
    assert response.status_code == 503
    assert _check(response, "/langganan/") == []


def test_other_errors_are_still_a_plain_500(settings, monkeypatch):
    from subscriptions import views

    def broken(request):
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr(views.selectors, "plans_on_sale", broken)
    response = Client(raise_request_exception=False).get("/langganan/")
    assert response.status_code == 500
    assert b"a bug" not in response.content


def test_healthz_says_the_database_is_down_without_its_message(lose_database):
    lose_database()
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable: OperationalError"}
    assert b"127.0.0.1" not in response.content
