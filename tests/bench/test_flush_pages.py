"""What the bench forgets before a rotating scenario (``bench/run.py``
``flush_pages``, with the probe's ``page_key_patterns``): what would make its
requests hits, and nothing a busy site keeps warm."""

import importlib.util
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.conftest import requires_redis
from tests.factories import ArticleFactory, TopicFactory

_spec = importlib.util.spec_from_file_location(
    "bench_probe", Path(__file__).resolve().parents[2] / "bench" / "probe.py"
)
probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(probe)


def _keys(client) -> set[str]:
    return {key.decode() for key in client.scan_iter(count=1000)}


@requires_redis
@pytest.mark.django_db
def test_pages_kept_answers_and_rankings_go_shared_fragments_stay(client, bench_run, monkeypatch):
    topic = TopicFactory()
    article = ArticleFactory(headline="Harga cabai naik lagi", topics=[topic])
    for path in (
        article.get_absolute_url(),
        topic.get_absolute_url(),
        "/search/?q=cabai",
        "/api/v1/articles",
        f"/api/v1/articles/{article.pk}",
        "/api/v1/search?q=cabai",
    ):
        assert client.get(path).status_code == 200, path
    redis_client = redis.Redis.from_url(settings.REDIS_URL)
    before = _keys(redis_client)
    made = {kind: {k for k in before if f":pc:v1:{kind}:" in k} for kind in ("page", "api")}
    made["ranking"] = {k for k in before if ":pc:v1:frag:search-ranked:" in k}
    assert all(made.values()), made  # each kind of key the bench must forget was made

    monkeypatch.setattr(bench_run, "REDIS_CACHE_URL", settings.REDIS_URL)
    forgotten = bench_run.flush_pages({"page_keys": probe.page_key_patterns()})

    after = _keys(redis_client)
    assert forgotten == len(set().union(*made.values()))
    assert after == before - set().union(*made.values())
    # Shared fragments and generations stay: the next pages are misses, not cold.
    assert any(":pc:v1:frag:" in key for key in after)
    assert any(":pc:v1:gen:" in key for key in after)
    assert client.get(topic.get_absolute_url())["X-Page-Cache"] == "miss"
