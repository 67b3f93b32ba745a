"""What every API response shares: error shape, 304s, cache headers, 429s, docs."""

import re

import pytest
from django.test import Client

from newsroom.ratelimit import rate_hit
from tests.conftest import requires_redis
from tests.factories import ArticleFactory, UserFactory

from .conftest import assert_error, auth, make_token

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_unknown_paths_and_wrong_methods_use_the_error_shape(client):
    assert_error(client.get(f"{API}/tidak-ada"), 404, "not_found")
    assert_error(client.post(f"{API}/tidak/ada/juga"), 404, "not_found")
    response = client.delete(f"{API}/articles")
    error = assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"
    assert error["details"] == {"allow": "GET"}


def test_article_detail_answers_304_to_a_matching_etag(client):
    article = ArticleFactory()
    url = f"{API}/articles/{article.pk}"
    first = client.get(url)
    etag = first["ETag"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == first["Cache-Control"]

    article.dek = "Dek baru"
    article.save()
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_list_answers_304_until_a_new_article_appears(client):
    ArticleFactory()
    etag = client.get(f"{API}/articles")["ETag"]
    assert client.get(f"{API}/articles", HTTP_IF_NONE_MATCH=etag).status_code == 304
    ArticleFactory()
    assert client.get(f"{API}/articles", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_the_etag_differs_by_what_the_reader_may_see(client, premium_article, premium_reader):
    url = f"{API}/articles/{premium_article.pk}"
    anonymous_etag = client.get(url)["ETag"]
    client.force_login(premium_reader)
    assert client.get(url, HTTP_IF_NONE_MATCH=anonymous_etag).status_code == 200


def test_cache_control_public_only_for_anonymous_shareable_responses(
    client, premium_article, registered
):
    free = ArticleFactory()
    for url in (f"{API}/articles", f"{API}/articles/{free.pk}", f"{API}/sections"):
        response = client.get(url)
        assert response["Cache-Control"].startswith("public"), url
        assert "Authorization" in response["Vary"]
        assert "Cookie" in response["Vary"]
    teaser = client.get(f"{API}/articles/{premium_article.pk}")
    assert teaser["Cache-Control"].startswith("public")

    client.force_login(registered)
    for url in (f"{API}/articles", f"{API}/articles/{premium_article.pk}", f"{API}/me"):
        assert client.get(url)["Cache-Control"].startswith("private"), url
    token = make_token(registered, "read")
    assert Client().get(f"{API}/articles", **auth(token))["Cache-Control"].startswith("private")


@pytest.fixture
def frozen_clock(monkeypatch):
    """Keep every request in one rate window, so a minute boundary cannot make a test flaky."""
    monkeypatch.setattr("core.rate_limits.time.time", lambda: 1_699_999_990.0)  # 10 s into a window


def test_anonymous_clients_are_rate_limited_with_retry_after(client, settings, frozen_clock):
    settings.API_RATE_ANONYMOUS = 3
    for _ in range(3):
        assert client.get(f"{API}/sections").status_code == 200
    response = client.get(f"{API}/sections")
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == "50"  # 60 s window, 10 s gone
    # Another address has its own allowance.
    assert client.get(f"{API}/sections", REMOTE_ADDR="10.9.8.7").status_code == 200


def test_each_token_has_its_own_allowance(client, settings, frozen_clock):
    settings.API_RATE_ANONYMOUS = 1
    settings.API_RATE_AUTHENTICATED = 2
    first = make_token(UserFactory(), "read")
    second = make_token(UserFactory(), "read")
    assert client.get(f"{API}/sections").status_code == 200
    assert client.get(f"{API}/sections").status_code == 429  # the address is spent
    for _ in range(2):
        assert client.get(f"{API}/me", **auth(first)).status_code == 200
    limited = client.get(f"{API}/me", **auth(first))
    assert_error(limited, 429, "rate_limited")
    assert limited["Retry-After"]
    assert client.get(f"{API}/me", **auth(second)).status_code == 200


def test_rate_window_resets():
    for _ in range(2):
        assert rate_hit("t", limit=2, now=1000.0).allowed
    refused = rate_hit("t", limit=2, now=1010.0)
    assert not refused.allowed
    assert refused.retry_after == 10  # the window ends at 1020
    assert rate_hit("t", limit=2, now=1021.0).allowed  # next minute


@requires_redis
def test_rate_limit_is_shared_through_redis(settings):
    """Two web processes share one count because the cache is Redis."""
    from django.core.cache.backends.redis import RedisCache

    other_process = RedisCache(
        settings.REDIS_URL, {"KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"]}
    )
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert rate_hit("shared", limit=2, now=5000.0).allowed
    other_process.incr("ratelimit:shared:83")
    assert not rate_hit("shared", limit=2, now=5001.0).allowed


def test_openapi_document_names_and_documents_every_schema(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    schemas = document["components"]["schemas"]
    for name in ("ArticleOut", "ArticleCardOut", "ErrorOut", "AccessOut", "DraftIn", "MeOut"):
        assert name in schemas
    undocumented = [name for name, schema in schemas.items() if not schema.get("description")]
    assert undocumented == []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)
    assert document["paths"]["/api/v1/articles"]["get"]["security"] == [{"TokenAuth": []}, {}]
    assert "example" in str(document["paths"]["/api/v1/editor/articles"]["post"])


def test_docs_page_loads_no_external_assets(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    external = re.findall(r"""(?:src|href)=["'](?:https?:)?//[^"']+""", html)
    assert external == []
    assert "cdn" not in html.lower()


def test_ids_past_the_database_range_are_422_not_500(client):
    huge = 2**70
    assert_error(client.get(f"{API}/articles/{huge}"), 422, "invalid_input")
    assert_error(client.get(f"{API}/articles/0"), 422, "invalid_input")


def test_head_answers_like_get_without_a_body(client):
    ArticleFactory()
    get = client.get(f"{API}/articles")
    head = client.head(f"{API}/articles")
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == get["ETag"]
    assert head["Cache-Control"] == get["Cache-Control"]
