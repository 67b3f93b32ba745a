"""A Redis cache that degrades to "always a miss" while Redis is down.

Readers keep getting pages (rendered from the database) when Redis stops;
after a failure the backend stops trying for a few seconds, so a dead Redis
costs one connect timeout per process every few seconds, not one per call.
"""

import logging
import os
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER_SECONDS = 5.0


class _KeptConnections(threading.local):
    """Each thread's connection per pool (``ReusedClientRedisCacheClient.call``)."""

    def __init__(self):
        self.by_pool = {}


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client makes a new ``redis.Redis`` for every call (its constructor
    fills a table of some 170 reply handlers: a fifth of a millisecond); one per
    connection pool is enough (a ``redis.Redis`` is safe to share between threads).

    The commands of a request's ordinary work go straight to a connection each
    thread keeps (``call``): reads (``get``, ``get_many``: a page-cache hit's
    one round trip), ``set`` (a miss keeping its page) and the rate limits'
    counter (``count``: every API request). The rest (``add``, ``delete``,
    ``incr``, the ``*_many`` writes...) go through the pool as Django sends them."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients_by_pool", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def read(self, *command):
        """The reply to a read ``command`` (``"MGET", key, ...``): ``call``."""
        return self.call([command])[0]

    def call(self, commands: list[tuple], *, write: bool = False) -> list:
        """The replies to ``commands``, sent together on the connection this
        thread keeps, made with the pool's settings (address, timeouts, TLS,
        the C reply parser) but not checked out of the pool for each command.
        redis-py's command path (checkout with a socket poll, release, retry
        wrapper, connection metrics) cost about as much CPU as the round trip
        itself (an MGET of a page: 140 against 65 µs on a slow VM); a
        page-cache hit runs 6% fewer instructions without it
        (``bench/instructions.py``: 2.13 -> 2.01 M). ``write`` picks the
        pool Django writes to (the same one when there is one server).

        A connection made before a fork is never used after it (gunicorn's
        ``--preload``). A connection that fails (Redis restarted, an idle
        connection dropped) is closed and the commands sent once more on a
        new one, as redis-py's retry does (so, as with it, a counter whose
        reply was lost may count twice); the second failure is raised. An
        error reply is raised as redis-py raises it."""
        try:
            return self._call_once(commands, write)
        except OUTAGE_ERRORS:
            return self._call_once(commands, write)  # on a new connection

    def _call_once(self, commands: list[tuple], write: bool) -> list:
        pool = self._get_connection_pool(write)
        kept = self.__dict__.setdefault("_kept", _KeptConnections()).by_pool
        connection = kept.get(id(pool))
        if connection is None or connection.pid != os.getpid():
            connection = kept[id(pool)] = pool.connection_class(**pool.connection_kwargs)
        try:
            if len(commands) == 1:
                connection.send_command(*commands[0])
            else:
                connection.send_packed_command(connection.pack_commands(commands))
            return [connection.read_response() for _ in commands]
        except BaseException:
            # Whatever the failure, what is left on the socket is unknown.
            connection.disconnect()
            del kept[id(pool)]
            raise

    def get(self, key, default):
        value = self.read("GET", key)
        return default if value is None else self._serializer.loads(value)

    def get_many(self, keys):
        keys = list(keys)
        if not keys:
            return {}
        values = self.read("MGET", *keys)
        loads = self._serializer.loads
        found = zip(keys, values, strict=True)  # MGET answers every key, in order
        return {key: loads(value) for key, value in found if value is not None}

    def set(self, key, value, timeout):
        """Django's ``set`` (``timeout``: seconds, None for no expiry, 0 to delete)."""
        if timeout == 0:
            return super().set(key, value, timeout)  # Django deletes the key
        command = ("SET", key, self._serializer.dumps(value))
        self.call([command if timeout is None else (*command, "EX", timeout)], write=True)
        return None

    def count(self, key, timeout: int) -> int:
        """Add one to counter ``key`` (started at 0, expiring in ``timeout``
        seconds, if absent) and return the count: ``SET NX`` then ``INCR`` in
        one ``MULTI`` (so the key cannot expire between the two), one round trip."""
        commands = [("MULTI",), ("SET", key, 0, "EX", timeout, "NX"), ("INCR", key), ("EXEC",)]
        _started, _set, _incr, (_created, counted) = self.call(commands, write=True)
        if isinstance(counted, Exception):  # an error inside EXEC comes as a value
            raise counted
        return counted


class TolerantRedisCache(RedisCache):
    _down_until = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def validate_key(self, key):
        """Redis takes any key. Django's check is that a key would also suit
        memcached (a length test and a lazily compiled pattern, whose every use
        raises and catches an ``AttributeError``): 8 µs per key on a VM where
        a page-cache hit, which reads four keys, costs 0.9 ms in-process, so
        3-4% of a hit. The file and memory caches of the embedded demo and of
        the tests without Redis still check."""

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        if self._available():
            logger.warning("cache unavailable, serving without it: %s", exc.__class__.__name__)
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    def _try(self, call, fallback):
        if not self._available():
            return fallback
        try:
            return call()
        except OUTAGE_ERRORS as exc:
            self._failed(exc)
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            lambda: super(TolerantRedisCache, self).add(key, value, timeout, version), False
        )

    def get(self, key, default=None, version=None):
        return self._try(
            lambda: super(TolerantRedisCache, self).get(key, default, version), default
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            lambda: super(TolerantRedisCache, self).set(key, value, timeout, version), None
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            lambda: super(TolerantRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).delete(key, version), False)

    def get_many(self, keys, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).has_key(key, version), False)

    def incr(self, key, delta=1, version=None):
        result = self._try(lambda: super(TolerantRedisCache, self).incr(key, delta, version), None)
        if result is None:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            lambda: super(TolerantRedisCache, self).set_many(data, timeout, version), list(data)
        )

    def delete_many(self, keys, version=None):
        return self._try(lambda: super(TolerantRedisCache, self).delete_many(keys, version), None)

    def clear(self):
        return self._try(lambda: super(TolerantRedisCache, self).clear(), False)

    def count_hit(self, key, *, timeout: int, version=None) -> int | None:
        """Add one to counter ``key`` (started at 0 with ``timeout`` if absent) and
        return the count, in one round trip (``ReusedClientRedisCacheClient.count``).
        None while Redis is down."""
        key = self.make_and_validate_key(key, version=version)
        return self._try(lambda: self._cache.count(key, timeout), None)
