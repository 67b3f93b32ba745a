"""Cache reads, sets and counts on the connection each thread keeps
(``ReusedClientRedisCacheClient.call``).

A page-cache hit's one round trip, a miss keeping its page and every API
request's rate-limit count go to Redis on a connection the thread keeps
rather than one checked out of redis-py's pool per command. What the
pool did for free must still hold: a dropped connection is replaced (a read
is answered, not turned into a miss and an outage), a forked worker never
talks on its parent's socket, and every thread has its own.
"""

import os
import threading

import pytest
from django.core.cache import caches
from django.test import override_settings

from tests.conftest import requires_redis

pytestmark = requires_redis


@pytest.fixture
def cache(settings):
    location = settings.REDIS_URL
    backend = "newsroom.cache_backends.TolerantRedisCache"
    config = {"default": {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": "baca"}}
    with override_settings(CACHES=config):
        cache = caches["default"]
        yield cache
        cache.delete_many(["edisi", "halaman", "tidak-ada", "hitungan"])


def test_reads_answer_what_was_written_missing_keys_left_out(cache):
    page = {"html": "Harga cabai naik — ‘pedas’ ✓" * 500, "status": 200}
    cache.set("halaman", page, 30)
    cache.set("edisi", 7, 30)

    assert cache.get("halaman") == page
    assert cache.get("tidak-ada", "miss") == "miss"
    assert cache.get_many(["halaman", "tidak-ada", "edisi"]) == {"halaman": page, "edisi": 7}
    assert cache.get_many([]) == {}


def test_a_read_after_redis_dropped_the_connection_is_answered_on_a_new_one(cache):
    cache.set("edisi", "pagi", 30)
    assert cache.get("edisi") == "pagi"
    # Redis closes this thread's kept connection (a restart, an idle timeout).
    own_id = cache._cache.read("CLIENT", "ID")
    killer = cache._cache.get_client(write=True)
    assert killer.client_kill_filter(_id=own_id) == 1

    assert cache.get("edisi") == "pagi"  # not a miss
    assert cache.get_many(["edisi"]) == {"edisi": "pagi"}
    assert cache._available()  # and not an outage
    assert cache._cache.read("CLIENT", "ID") != own_id


def test_a_forked_worker_reads_on_a_connection_of_its_own(cache):
    """gunicorn's ``--preload`` forks workers from a master that may have read
    the cache: replies on a shared socket would go to whichever process reads
    first, and each would get the other's values."""
    cache.set("edisi", "induk", 30)
    cache.set("halaman", "anak", 30)
    assert cache.get("edisi") == "induk"  # the parent now keeps a connection
    parent_id = cache._cache.read("CLIENT", "ID")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own reads, at the same time as the parent's
        try:
            ok = all(cache.get("halaman") == "anak" for _ in range(300))
            ok = ok and cache._cache.read("CLIENT", "ID") != parent_id
            os.write(write_end, b"ok" if ok else b"mixed")
        finally:
            os._exit(0)
    os.close(write_end)
    parent_ok = all(cache.get("edisi") == "induk" for _ in range(300))
    os.waitpid(pid, 0)
    child = os.read(read_end, 16)
    os.close(read_end)

    assert parent_ok
    assert child == b"ok"
    assert cache._cache.read("CLIENT", "ID") == parent_id  # the parent's own, still


def test_each_thread_reads_on_its_own_connection(cache):
    cache.set("edisi", "pagi", 30)
    ids, values = [], []

    def reader():
        values.extend(cache.get("edisi") for _ in range(200))
        ids.append(cache._cache.read("CLIENT", "ID"))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert values == ["pagi"] * 800
    assert len(set(ids)) == 4


def last_command(cache, client_id: int) -> str:
    """What Redis says connection ``client_id`` last ran (asked on another one)."""
    listing = cache._cache.get_client(write=True).execute_command("CLIENT", "LIST", "ID", client_id)
    text = listing.decode() if isinstance(listing, bytes) else str(listing)
    return text.split(" cmd=")[1].split()[0]


def test_sets_keep_django_meaning_of_a_timeout_on_the_kept_connection(cache):
    kept = cache._cache.read("CLIENT", "ID")
    redis = cache._cache.get_client(write=True)

    cache.set("halaman", {"status": 200}, 30)
    assert last_command(cache, kept) == "set"
    assert cache.get("halaman") == {"status": 200}
    assert 0 < redis.ttl(cache.make_key("halaman")) <= 30

    cache.set("halaman", "selamanya", None)  # no expiry
    assert redis.ttl(cache.make_key("halaman")) == -1
    assert cache.get("halaman") == "selamanya"

    cache.set("edisi", 5, 30)  # an int is kept as a number: incr still works
    assert cache.incr("edisi") == 6

    cache.set("halaman", "hapus", 0)  # Django: a timeout of 0 deletes
    assert cache.get("halaman", "miss") == "miss"


def test_a_count_starts_its_window_once_and_survives_a_dropped_connection(cache):
    redis = cache._cache.get_client(write=True)
    key = cache.make_key("hitungan")

    assert [cache.count_hit("hitungan", timeout=60) for _ in range(3)] == [1, 2, 3]
    kept = cache._cache.read("CLIENT", "ID")
    cache.count_hit("hitungan", timeout=60)
    assert last_command(cache, kept) == "exec"  # one MULTI on the kept connection
    redis.expire(key, 5)  # the window's end is not pushed back by later counts
    assert cache.count_hit("hitungan", timeout=60) == 5
    assert 0 < redis.ttl(key) <= 5

    assert redis.client_kill_filter(_id=kept) == 1
    assert cache.count_hit("hitungan", timeout=60) == 6  # answered on a new connection
    assert cache._available()


def test_an_error_reply_is_raised_and_the_next_command_is_answered(cache):
    from redis.exceptions import ResponseError

    cache.set("hitungan", "bukan angka", 30)  # INCR cannot count a pickled text
    with pytest.raises(ResponseError):
        cache.count_hit("hitungan", timeout=60)
    with pytest.raises(ResponseError):
        cache._cache.read("NO-SUCH-COMMAND")

    cache.set("edisi", "pagi", 30)
    assert cache.get("edisi") == "pagi"  # no reply left over on the socket
    assert cache.get_many(["edisi", "hitungan"]) == {"edisi": "pagi", "hitungan": "bukan angka"}
