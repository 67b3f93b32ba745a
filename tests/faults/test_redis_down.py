"""Redis stopped while the site runs: pages, sessions and the meter keep working; healthz tells."""

import json
import time

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from newsroom import cache_backends
from tests.factories import ArticleFactory, SubscriptionFactory, UserFactory

SECRET = "RAHASIA-PARAGRAF-TIGA"


def _cache_settings(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "newsroom.cache_backends.TolerantRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "faults",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.mark.django_db
def test_the_cache_degrades_to_misses_and_comes_back_with_redis(redis_server, monkeypatch):
    monkeypatch.setattr(cache_backends, "RETRY_AFTER_SECONDS", 0.2)
    with override_settings(CACHES=_cache_settings(redis_server.url), REDIS_URL=redis_server.url):
        cache = caches["default"]
        cache.set("edisi", "pagi")
        assert cache.get("edisi") == "pagi"
        redis_server.stop()
        assert cache.get("edisi", "miss") == "miss"
        cache.set("edisi", "siang")  # swallowed, not raised
        assert cache.get_many(["edisi"]) == {}
        assert Client().get("/healthz").json()["checks"]["cache"]["ok"] is False
        redis_server.start()  # an empty Redis on the same port
        time.sleep(0.3)
        cache.set("edisi", "sore")
        assert cache.get("edisi") == "sore"
        assert Client().get("/healthz").json()["checks"]["cache"]["ok"] is True


def test_a_running_site_serves_readers_through_a_redis_outage(redis_server, start_web_server):
    article = ArticleFactory(access_level="premium", slug="premium-saat-gangguan")
    metered = [ArticleFactory(access_level="metered", slug=f"meter-{i}") for i in range(2)]
    subscriber = SubscriptionFactory(user=UserFactory(username="setia", email="setia@pembaca.test"))
    client = Client()
    client.force_login(subscriber.user)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    server = start_web_server(REDIS_URL=redis_server.url, CACHE_KEY_PREFIX="faults-web")

    status, _, body = server.get("/healthz")
    assert status == 200
    assert json.loads(body)["checks"]["cache"]["ok"] is True

    redis_server.stop()
    for path in ("/", article.get_absolute_url(), "/langganan/", "/akun/masuk/"):
        status, _, _ = server.get(path)
        assert status == 200, path
    status, _, body = server.get("/healthz")
    assert status == 200  # the site still serves: only the cache is down
    checks = json.loads(body)["checks"]
    assert checks["cache"]["ok"] is False
    assert checks["cache"]["detail"].startswith("unreachable")
    assert checks["database"]["ok"] is True

    # Sessions live in the database: the subscriber stays logged in and entitled.
    status, _, body = server.get("/akun/", cookies=cookies)
    assert status == 200
    assert "setia@pembaca.test" in body
    status, _, body = server.get(article.get_absolute_url(), cookies=cookies)
    assert SECRET in body
    # The meter lives in the database: an anonymous reader's reads still count.
    status, headers, body = server.get(metered[0].get_absolute_url())
    assert status == 200
    meter_cookie = headers["Set-Cookie"].split(";")[0].split("=", 1)
    status, _, body = server.get(metered[1].get_absolute_url(), cookies=dict([meter_cookie]))
    assert status == 200
    from paywall.models import MeterRead

    assert MeterRead.objects.count() == 2  # both reads counted on one meter

    redis_server.start()
    status, _, body = server.get("/healthz")
    assert json.loads(body)["checks"]["cache"]["ok"] is True
    assert "Traceback" not in server.output()
