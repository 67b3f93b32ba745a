"""The funnel on real Redis: one RPUSH per batch of a process's events (never a
round trip on the request path), and a roll-up that neither loses nor doubles an
event when its worker dies or its batch is delivered again."""

import time

import pytest

from analytics import funnel as rollup
from analytics.models import FunnelDaily, FunnelEvent
from paywall import funnel
from paywall.funnel import Event
from tests.conftest import requires_redis
from tests.factories import ArticleFactory

from .conftest import SECRET, events, roll_up

pytestmark = [pytest.mark.redis, requires_redis, pytest.mark.django_db]


@pytest.fixture
def r():
    client = funnel.redis_client()
    yield client
    funnel._redis_down_until = 0.0


def _gates(article, n: int) -> None:
    for _ in range(n):
        funnel.record(
            Event.GATE_IMPRESSION, reader="m:abc", article_id=article.pk, reason="premium_login"
        )


def _queued(r) -> int:
    return r.llen(funnel.queue_key())


def test_a_gated_page_is_one_compact_event_in_redis_until_the_roll_up(client, r):
    article = ArticleFactory(access_level="premium")
    client.get(article.get_absolute_url())
    client.get(article.get_absolute_url())  # the fast path
    assert (_queued(r), funnel.pending_in_process()) == (0, 2)  # no round trip per event
    assert funnel.flush() == 2  # what the batch timer does a second later
    raw = r.lrange(funnel.queue_key(), 0, -1)
    assert len(raw) == 2
    assert all(SECRET.encode() not in item and len(item) < 200 for item in raw)
    assert FunnelEvent.objects.count() == 0  # nothing written on the request path
    assert roll_up()["stored"] == 2
    assert (_queued(r), r.exists(rollup.processing_key())) == (0, 0)
    assert FunnelDaily.objects.get(article=article).events == 2


def test_a_worker_killed_holding_a_batch_loses_nothing(r):
    article = ArticleFactory(access_level="premium")
    _gates(article, 3)
    funnel.flush()  # the web process's batch reaches Redis
    # A worker takes the lock and a batch, then dies before writing anything.
    r.set(rollup.lock_key(), "dead-worker", ex=300)
    assert len(rollup.claim_batch()) == 3
    assert _queued(r) == 0
    _gates(article, 2)  # readers go on meanwhile
    assert roll_up()["skipped"] == 1  # its lock still holds: nobody doubles its batch
    assert FunnelEvent.objects.count() == 0
    assert r.ttl(rollup.lock_key()) > 0
    r.delete(rollup.lock_key())  # ... until the lock expires (fast-forwarded)
    result = roll_up()
    assert (result["stored"], result["batches"]) == (5, 2)  # the dead batch first
    assert FunnelEvent.objects.count() == 5
    assert FunnelDaily.objects.get(article=article).events == 5
    assert (_queued(r), r.exists(rollup.processing_key())) == (0, 0)


def test_a_batch_written_but_not_acknowledged_is_delivered_again_and_counted_once(r, monkeypatch):
    article = ArticleFactory(access_level="premium")
    _gates(article, 4)

    def die():
        raise SystemExit("worker killed after the commit, before the acknowledgement")

    monkeypatch.setattr(rollup, "acknowledge", die)
    with pytest.raises(SystemExit):
        roll_up()
    assert FunnelEvent.objects.count() == 4
    assert r.llen(rollup.processing_key()) == 4  # still unacknowledged
    monkeypatch.undo()
    assert roll_up()["stored"] == 4  # delivered again ...
    assert FunnelEvent.objects.count() == 4  # ... and inserted once
    assert FunnelDaily.objects.get(article=article).events == 4
    assert roll_up()["stored"] == 0


def test_a_batch_that_fails_to_write_stays_for_the_next_roll_up(r, monkeypatch):
    article = ArticleFactory(access_level="premium")
    _gates(article, 2)

    def broken(items, *, now):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rollup, "_process_batch", broken)
    with pytest.raises(RuntimeError):
        roll_up()
    assert not r.exists(rollup.lock_key())  # released on the way out
    monkeypatch.undo()
    assert roll_up()["stored"] == 2
    assert len(events(Event.GATE_IMPRESSION)) == 2


def test_with_redis_down_events_wait_in_the_process_and_reach_redis_later(r, settings):
    article = ArticleFactory(access_level="premium")
    url = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    _gates(article, 2)
    assert funnel.pending_in_process() == 2
    settings.REDIS_URL = url
    funnel._redis_down_until = 0.0  # the retry pause is over
    assert funnel.flush() == 2
    assert (_queued(r), funnel.pending_in_process()) == (2, 0)
    assert roll_up()["stored"] == 2


def test_a_lone_event_reaches_redis_within_the_batch_time_without_another(r, monkeypatch):
    monkeypatch.setattr(funnel, "REDIS_BATCH_SECONDS", 0.05)
    funnel.record(Event.SUBSCRIBE_CLICK, reader="m:quiet", reason="premium_login")
    assert _queued(r) == 0  # not on the request path
    deadline = time.monotonic() + 10
    while _queued(r) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (_queued(r), funnel.pending_in_process()) == (1, 0)
    assert funnel.parse(r.lindex(funnel.queue_key(), 0))["reader"] == "m:quiet"


def test_a_full_batch_goes_to_redis_at_once_in_one_push(r, monkeypatch):
    monkeypatch.setattr(funnel, "FLUSH_EVERY_EVENTS", 5)
    monkeypatch.setattr(funnel, "REDIS_BATCH_SECONDS", 3600.0)
    article = ArticleFactory(access_level="premium")
    _gates(article, 4)
    assert _queued(r) == 0
    _gates(article, 1)  # the fifth fills the batch
    assert (_queued(r), funnel.pending_in_process()) == (5, 0)
