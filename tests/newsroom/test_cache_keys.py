"""Cache keys on Redis are not held to memcached's rules (``TolerantRedisCache.validate_key``)."""

import warnings

from django.core.cache import CacheKeyWarning, caches
from django.test import override_settings

from tests.conftest import requires_redis

# Longer than memcached's 250 characters, with a space and a tab: a key a
# search page's might resemble, and one memcached would refuse.
KEY = "halaman:cari:" + "inflasi pangan\t" * 20


def _caches(backend: str, location: str) -> dict:
    return {"default": {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": "kunci"}}


@requires_redis
def test_redis_stores_any_key_without_checking_it_for_memcached(settings):
    redis_cache = _caches("newsroom.cache_backends.TolerantRedisCache", settings.REDIS_URL)
    with override_settings(CACHES=redis_cache), warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        cache = caches["default"]
        cache.set(KEY, "edisi pagi", 30)
        assert cache.get(KEY) == "edisi pagi"
        assert cache.get_many([KEY]) == {KEY: "edisi pagi"}
        cache.delete(KEY)
        assert cache.get(KEY) is None


def test_the_caches_without_redis_still_warn_about_such_keys():
    """The embedded demo's and the tests' caches keep Django's portability check."""
    memory = _caches("django.core.cache.backends.locmem.LocMemCache", "kunci-uji")
    with override_settings(CACHES=memory), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CacheKeyWarning)
        caches["default"].set(KEY, "edisi pagi", 30)
    assert any(issubclass(w.category, CacheKeyWarning) for w in caught)


@requires_redis
def test_the_cache_reads_redis_replies_with_the_c_parser(settings):
    """``hiredis`` is a dependency so that redis-py parses replies in C (10-12 µs
    less per round trip): a redis-py that stopped accepting its version would
    fall back to the Python parser silently. Pages round-trip through it intact."""
    from redis._parsers import _HiredisParser

    redis_cache = _caches("newsroom.cache_backends.TolerantRedisCache", settings.REDIS_URL)
    with override_settings(CACHES=redis_cache):
        cache = caches["default"]
        page = {"body": "Harga cabai naik — ‘pedas’ ✓".encode() * 2000, "status": 200}
        cache.set("halaman", page, 30)
        assert cache.get("halaman") == page
        assert cache.get_many(["halaman", "tidak-ada"]) == {"halaman": page}
        # Writes go through the pool's connections, reads through the one each
        # thread keeps (``ReusedClientRedisCacheClient.read``): both parse in C.
        pool = cache._cache.get_client().connection_pool
        connection = pool.get_connection()
        try:
            assert isinstance(connection._parser, _HiredisParser)
        finally:
            pool.release(connection)
        [kept] = cache._cache._kept.by_pool.values()
        assert isinstance(kept._parser, _HiredisParser)
        cache.delete("halaman")
