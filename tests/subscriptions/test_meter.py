"""The meter: exact counts, re-reads, concurrency, rollover, tampering, crawlers, carry-over."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from paywall import meter
from paywall.models import Meter, MeterRead
from paywall.rights import ReaderRights
from tests.conftest import requires_postgres
from tests.factories import ArticleFactory, UserFactory

SECRET = "RAHASIA-PARAGRAF-TIGA"
COOKIE = settings.PAYWALL_METER_COOKIE

pytestmark = pytest.mark.django_db


def metered(n=1):
    return [ArticleFactory(access_level="metered") for _ in range(n)]


def read(client, article, **headers):
    return client.get(article.get_absolute_url(), **headers)


def paywall_reason(response) -> str | None:
    text = response.content.decode()
    marker = 'data-paywall="'
    if marker not in text:
        return None
    return text.split(marker, 1)[1].split('"', 1)[0]


def test_anonymous_reader_gets_three_metered_articles_then_the_gate(client):
    articles = metered(4)
    for article in articles[:3]:
        response = read(client, article)
        assert SECRET in response.content.decode()
        assert response["Cache-Control"].startswith("private")
    fourth = read(client, articles[3])
    assert SECRET not in fourth.content.decode()
    assert paywall_reason(fourth) == "meter_exhausted"
    # Re-reading an article already counted stays open and costs nothing.
    again = read(client, articles[0])
    assert SECRET in again.content.decode()
    assert MeterRead.objects.count() == 3


def test_free_pages_set_no_meter_cookie(client):
    response = read(client, ArticleFactory(access_level="free"))
    assert COOKIE not in response.cookies
    first_metered = read(client, metered()[0])
    assert COOKIE in first_metered.cookies


def test_a_tampered_cookie_does_not_reset_the_meter(client):
    articles = metered(5)
    for article in articles[:3]:
        read(client, article)
    assert paywall_reason(read(client, articles[3])) == "meter_exhausted"
    # Forge a different meter id (or edit the signature): the server refuses it
    # and the replacement meter starts this month with nothing left.
    value = client.cookies[COOKIE].value
    client.cookies[COOKIE] = "0" * 32 + value[32:]
    response = read(client, articles[4])
    assert SECRET not in response.content.decode()
    assert paywall_reason(response) == "meter_exhausted"
    client.cookies[COOKIE] = "garbage"
    assert paywall_reason(read(client, articles[4])) == "meter_exhausted"
    # ...and the replacement cookie keeps it exhausted on the next request.
    assert paywall_reason(read(client, articles[4])) == "meter_exhausted"


def test_the_cookie_holds_a_signed_id_and_the_count_lives_on_the_server(client):
    read(client, metered()[0])
    token = client.cookies[COOKIE].value.split(":")[0]
    meter_row = Meter.objects.get(token=token)
    assert meter_row.reads.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_PURPOSE": "prefetch"},
        {"HTTP_SEC_PURPOSE": "prefetch;prerender"},
        {"HTTP_PURPOSE": "prefetch"},
    ],
)
def test_prefetch_and_prerender_do_not_spend_the_meter(client, headers):
    article = metered()[0]
    response = read(client, article, **headers)
    assert SECRET not in response.content.decode()
    assert paywall_reason(response) == "meter_preview"
    assert MeterRead.objects.count() == 0
    assert SECRET in read(client, article).content.decode()
    assert MeterRead.objects.count() == 1


def test_head_requests_do_not_spend_the_meter(client):
    article = metered()[0]
    client.head(article.get_absolute_url())
    assert MeterRead.objects.count() == 0


def test_crawlers_are_not_metered_and_get_the_teaser(client):
    article = metered()[0]
    response = read(client, article, HTTP_USER_AGENT="ExampleSpider/2.0 (+http://x.example/bot)")
    assert SECRET not in response.content.decode()
    assert paywall_reason(response) == "crawler_unverified"
    assert MeterRead.objects.count() == 0


GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_an_unverified_googlebot_is_an_anonymous_reader(client):
    articles = metered(4)
    for article in articles[:3]:
        assert SECRET in read(client, article, HTTP_USER_AGENT=GOOGLEBOT).content.decode()
    assert MeterRead.objects.count() == 3  # counted like anyone else
    gated = read(client, articles[3], HTTP_USER_AGENT=GOOGLEBOT)
    assert paywall_reason(gated) == "meter_exhausted"


def allow_loopback(request):
    return request.META.get("REMOTE_ADDR") == "127.0.0.1"


def test_a_verified_crawler_reads_metered_articles_uncounted(client, settings):
    settings.PAYWALL_CRAWLER_VERIFIER = "tests.subscriptions.test_meter.allow_loopback"
    articles = metered(5)
    for article in articles:
        response = read(client, article, HTTP_USER_AGENT=GOOGLEBOT)
        assert SECRET in response.content.decode()
    assert MeterRead.objects.count() == 0
    premium = ArticleFactory(access_level="premium")
    gated = read(client, premium, HTTP_USER_AGENT=GOOGLEBOT)
    assert SECRET not in gated.content.decode()


def test_reverse_dns_verifier_checks_both_directions():
    from django.test import RequestFactory

    from paywall.crawlers import reverse_dns_verifier

    class FakeResolver:
        def __init__(self, host, forward):
            self.host, self.forward = host, forward

        def gethostbyaddr(self, address):
            return (self.host, [], [address])

        def gethostbyname_ex(self, host):
            return (host, [], self.forward)

    request = RequestFactory().get("/", REMOTE_ADDR="66.249.66.1")
    good = FakeResolver("crawl-66-249-66-1.googlebot.com", ["66.249.66.1"])
    assert reverse_dns_verifier(request, resolver=good) is True
    request = RequestFactory().get("/", REMOTE_ADDR="66.249.66.2")
    spoofed = FakeResolver("crawl.googlebot.com.evil.example", ["66.249.66.2"])
    assert reverse_dns_verifier(request, resolver=spoofed) is False
    request = RequestFactory().get("/", REMOTE_ADDR="66.249.66.3")
    mismatch = FakeResolver("crawl-1.googlebot.com", ["10.0.0.1"])
    assert reverse_dns_verifier(request, resolver=mismatch) is False


def test_registered_allowance_and_period_rollover(settings):
    settings.PAYWALL_METER_REGISTERED = 2
    user = UserFactory()
    reader = ReaderRights(authenticated=True, user_id=user.pk)
    a, b, c = metered(3)
    june = timezone.make_aware(timezone.datetime(2026, 6, 30, 23, 0))
    assert meter.meter_consume(reader=reader, article=a, now=june).granted
    assert meter.meter_consume(reader=reader, article=b, now=june).left == 0
    assert not meter.meter_consume(reader=reader, article=c, now=june).granted
    # Midnight in Jakarta starts July: the allowance is back, old reads count anew.
    july = june + timedelta(hours=1, minutes=1)
    assert meter.period_start(july).month == 7
    outcome = meter.meter_consume(reader=reader, article=a, now=july)
    assert outcome.granted
    assert outcome.counted
    assert outcome.left == 1
    assert meter.meter_state(reader, july).used == 1


def test_anonymous_reads_carry_over_at_login(client):
    user = UserFactory(username="pembaca")
    a, b = metered(2)
    read(client, a)
    read(client, b)
    response = client.post(
        "/akun/masuk/", {"username": "pembaca", "password": "newsroom-test"}, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 302
    state = meter.meter_state(ReaderRights(authenticated=True, user_id=user.pk))
    assert state.used == 2
    assert state.left == settings.PAYWALL_METER_REGISTERED - 2
    # A re-read after login is free.
    assert SECRET in read(client, a).content.decode()
    assert meter.meter_state(ReaderRights(authenticated=True, user_id=user.pk)).used == 2
    assert Meter.objects.get(user__isnull=True).merged_into == user


def test_anonymous_reads_carry_over_at_signup(client):
    a = metered()[0]
    read(client, a)
    client.post(
        "/akun/daftar/",
        {
            "username": "baru",
            "email": "baru@example.com",
            "password1": "sangat-rahasia-123",
            "password2": "sangat-rahasia-123",
        },
    )
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="baru")
    assert meter.meter_state(
        ReaderRights(authenticated=True, user_id=user.pk)
    ).read_article_ids == {a.pk}


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_the_last_free_read_grant_it_once(settings):
    settings.PAYWALL_METER_REGISTERED = 3
    user = UserFactory()
    reader = ReaderRights(authenticated=True, user_id=user.pk)
    used = metered(2)
    for article in used:
        meter.meter_consume(reader=reader, article=article)
    contenders = metered(8)
    barrier = threading.Barrier(len(contenders))
    outcomes = []

    def attempt(article):
        try:
            barrier.wait()
            outcomes.append(meter.meter_consume(reader=reader, article=article))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(a,)) for a in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(o.granted for o in outcomes) == 1
    assert MeterRead.objects.count() == 3


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reads_of_one_article_count_once():
    key = meter.new_anonymous_key()
    reader = ReaderRights(meter_key=key)
    article = metered()[0]
    barrier = threading.Barrier(6)
    outcomes = []

    def attempt():
        try:
            barrier.wait()
            outcomes.append(meter.meter_consume(reader=reader, article=article))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o.granted for o in outcomes)
    assert sum(o.counted for o in outcomes) == 1
    assert MeterRead.objects.count() == 1
    assert Meter.objects.count() == 1
