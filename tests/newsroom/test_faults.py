"""The site keeps serving what it can when a backing service fails."""

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import override_settings

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

DEAD_REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
DEAD_REDIS = {
    "default": {
        "BACKEND": "newsroom.cache_backends.TolerantRedisCache",
        "LOCATION": DEAD_REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@override_settings(CACHES=DEAD_REDIS, REDIS_URL=DEAD_REDIS_URL)
def test_pages_render_with_the_cache_down_and_healthz_says_so(client):
    article = ArticleFactory()
    assert cache.get("anything", "miss") == "miss"
    cache.set("anything", "value")  # swallowed, not raised
    assert client.get("/").status_code == 200
    assert client.get(article.get_absolute_url()).status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["checks"]["cache"]["ok"] is False


def test_a_lost_database_gives_a_503_page_not_a_stack_trace(client):
    def lost(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    client.raise_request_exception = False
    with connection.execute_wrapper(lost):  # every query, prepared ones too
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Traceback" not in response.content
    assert b"<h1>" in response.content


def test_reader_pages_carry_a_csp_without_inline_scripts(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
