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
