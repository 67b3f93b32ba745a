"""Page-view counting and roll-up, notifiers, and the beat lease."""

import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from analytics import popularity
from analytics.models import ViewCount
from publishing import notify
from publishing.beat import acquire_lock, release_lock
from publishing.models import BeatLock
from tests.conftest import requires_redis
from tests.factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_redis(settings):
    settings.REDIS_URL = ""
    popularity._buffer.take()
    yield
    popularity._buffer.take()


def test_views_are_buffered_not_written_per_view(no_redis, django_assert_num_queries):
    article = ArticleFactory()
    with django_assert_num_queries(0):
        for _ in range(5):
            popularity.record_view(article.pk)
    assert popularity.flush_views() == 5
    assert ViewCount.objects.get(article=article).views == 5


def test_a_full_buffer_is_written_in_one_batch_on_the_request_path(no_redis, monkeypatch):
    monkeypatch.setattr(popularity, "FLUSH_EVERY_VIEWS", 3)
    first, second = ArticleFactory(), ArticleFactory()
    for pk in (first.pk, second.pk, first.pk):
        popularity.record_view(pk)
    assert dict(ViewCount.objects.values_list("article_id", "views")) == {
        first.pk: 2,
        second.pk: 1,
    }


def test_roll_up_ranks_most_read_live_articles_and_hot_topics(no_redis):
    politik, ekonomi, sepi = TopicFactory(), TopicFactory(), TopicFactory()
    popular = ArticleFactory(topics=[politik])
    second = ArticleFactory(topics=[ekonomi])
    unpublished = ArticleFactory(topics=[ekonomi], status="unpublished")
    ArticleFactory(topics=[sepi])
    for article, views in ((popular, 7), (second, 3), (unpublished, 50)):
        for _ in range(views):
            popularity.record_view(article.pk)

    popularity.roll_up(now=timezone.now())
    assert list(popularity.most_read(limit=5)) == [popular, second]
    assert list(popularity.hot_topics(limit=5)) == [politik, ekonomi]

    popularity.roll_up(now=timezone.now())  # running it again changes nothing
    assert list(popularity.most_read(limit=5)) == [popular, second]


def test_editors_hot_topics_come_before_computed_ones(no_redis):
    flagged = TopicFactory(is_hot=True, hot_order=1)
    read = TopicFactory()
    popularity.record_view(ArticleFactory(topics=[read]).pk)
    popularity.roll_up(now=timezone.now())
    assert list(popularity.hot_topics(limit=5)) == [flagged, read]


def test_most_read_is_one_query(no_redis, django_assert_num_queries):
    for _ in range(5):
        popularity.record_view(ArticleFactory().pk)
    popularity.roll_up(now=timezone.now())
    with django_assert_num_queries(1):
        assert len([a.section.name for a in popularity.most_read(limit=5)]) == 5


@requires_redis
def test_views_are_counted_in_redis_and_rolled_up_idempotently(django_assert_num_queries):
    article = ArticleFactory()
    popularity._redis().delete(popularity._bucket_key(popularity._hour(timezone.now())))
    with django_assert_num_queries(0):
        for _ in range(4):
            popularity.record_view(article.pk)
    popularity.roll_up(now=timezone.now())
    popularity.roll_up(now=timezone.now())
    assert ViewCount.objects.get(article=article).views == 4
    assert list(popularity.most_read()) == [article]


def _redis_views(article) -> int:
    key = popularity._bucket_key(popularity._hour(timezone.now()))
    return int(popularity._redis().hget(key, str(article.pk)) or 0)


@requires_redis
def test_views_wait_in_the_process_and_go_to_redis_in_one_batch(monkeypatch):
    article = ArticleFactory()
    popularity._redis().delete(popularity._bucket_key(popularity._hour(timezone.now())))
    monkeypatch.setattr(popularity, "REDIS_BATCH_VIEWS", 5)
    for _ in range(4):
        popularity.record_view(article.pk)
    assert _redis_views(article) == 0  # no round trip per view
    popularity.record_view(article.pk)  # the fifth fills the batch
    assert _redis_views(article) == 5
    popularity.record_view(article.pk)
    popularity.flush_redis_views()
    assert _redis_views(article) == 6


@requires_redis
def test_a_quiet_process_writes_its_views_after_a_moment(monkeypatch):
    article = ArticleFactory()
    popularity._redis().delete(popularity._bucket_key(popularity._hour(timezone.now())))
    monkeypatch.setattr(popularity, "REDIS_BATCH_SECONDS", 0.05)
    popularity.record_view(article.pk)
    deadline = time.monotonic() + 10
    while _redis_views(article) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _redis_views(article) == 1


def test_views_that_cannot_reach_redis_are_kept_in_the_database(settings):
    article = ArticleFactory()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    popularity._redis.cache_clear()
    try:
        popularity.record_view(article.pk)  # does not raise
        popularity.record_view(article.pk)
        assert popularity.flush_redis_views() == 2  # does not raise either
    finally:
        popularity._redis.cache_clear()
    assert ViewCount.objects.get(article=article).views == 2


def test_notice_carries_no_paywalled_text(settings):
    article = ArticleFactory(access_level="premium")
    notice = notify.Notice.for_article(article)
    assert "RAHASIA" not in json.dumps(notice.__dict__)
    assert notice.url.endswith(article.get_absolute_url())


def test_email_notifier_sends_headline_and_link_only(settings):
    settings.PIPELINE_NOTIFY_EMAILS = ["desk@example.com"]
    article = ArticleFactory(access_level="premium", headline="Kabar penting")
    notify.notifier_named("email").send(notify.Notice.for_article(article))
    (message,) = mail.outbox
    assert "Kabar penting" in message.subject
    assert "RAHASIA" not in message.body


def test_notifiers_are_on_only_when_configured(settings):
    settings.PIPELINE_WEBHOOK_URLS = []
    settings.PIPELINE_NOTIFY_EMAILS = []
    assert notify.configured_notifiers() == []
    settings.PIPELINE_WEBHOOK_URLS = ["http://127.0.0.1:9/hook"]
    assert [n.name for n in notify.configured_notifiers()] == ["webhook"]


def test_webhook_notifier_refuses_non_http_urls(settings):
    settings.PIPELINE_WEBHOOK_URLS = ["file:///etc/passwd"]
    with pytest.raises(ValueError, match="http"):
        notify.notifier_named("webhook").send(notify.Notice.for_article(ArticleFactory()))


def test_only_one_beat_holds_the_lease_until_it_lapses_or_is_released():
    now = timezone.now()
    assert acquire_lock(name="beat", holder="a", ttl=60, now=now)
    assert not acquire_lock(name="beat", holder="b", ttl=60, now=now)
    assert acquire_lock(name="beat", holder="a", ttl=60, now=now + timedelta(seconds=30))
    assert not acquire_lock(name="beat", holder="b", ttl=60, now=now + timedelta(seconds=80))
    # "a" went silent: once its lease lapses, "b" takes over and "a" cannot renew.
    assert acquire_lock(name="beat", holder="b", ttl=60, now=now + timedelta(seconds=91))
    assert not acquire_lock(name="beat", holder="a", ttl=60, now=now + timedelta(seconds=92))
    release_lock(name="beat", holder="b")
    assert not BeatLock.objects.exists()
