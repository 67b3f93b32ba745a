"""The cache-hit fast path (pagecache.middleware) and the cached account records.

A hit served there must be the page the view would have served, with the
headers the skipped middleware would have added, and never entitled text for
a reader who lost (or never had) the entitlement.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from pagecache import middleware as page_middleware
from pagecache import readers
from subscriptions.models import Subscription
from subscriptions.plans import AD_FREE
from tests.conftest import clear_caches
from tests.factories import (
    ArticleFactory,
    SectionFactory,
    UserFactory,
)

from .conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    clear_caches()


def test_anonymous_hit_runs_no_sql_and_keeps_the_security_headers(
    client, django_assert_num_queries
):
    article = ArticleFactory()
    miss = client.get(article.get_absolute_url())
    with django_assert_num_queries(0):
        hit = client.get(article.get_absolute_url())
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert hit.content == miss.content
    for header in (
        "Cache-Control",
        "Surrogate-Key",
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Content-Language",
    ):
        assert hit[header] == miss[header], header
    assert int(hit["Content-Length"]) == len(hit.content)


def test_shareable_pages_do_not_vary_by_cookie_or_language(client):
    """The language is in the URL and a public page is the same for every anonymous
    reader: a CDN may keep one copy per URL (it bypasses requests with a session)."""
    article = ArticleFactory()
    for url in (article.get_absolute_url(), "/", "/en/"):
        for attempt in ("miss", "hit"):
            response = client.get(url)
            assert response["X-Page-Cache"] == attempt, url
            assert response["Cache-Control"].startswith("public"), url
            assert "Cookie" not in response.get("Vary", ""), url
            assert "Accept-Language" not in response.get("Vary", ""), url
            assert not response.cookies, url
    assert client.get("/en/")["Content-Language"] == "en"
    assert client.get("/")["Content-Language"] == settings.LANGUAGE_CODE


def test_premium_subscriber_hit_runs_no_sql_and_others_never_get_the_text(
    client, premium_reader, django_assert_num_queries
):
    article = ArticleFactory(access_level="premium")
    client.force_login(premium_reader)
    assert SECRET in client.get(article.get_absolute_url()).content.decode()
    with django_assert_num_queries(0):
        hit = client.get(article.get_absolute_url())
    assert hit["X-Page-Cache"] == "hit"
    assert SECRET in hit.content.decode()
    assert hit["Cache-Control"].startswith("private")
    assert "Cookie" in hit["Vary"]
    for other in (UserFactory(), None):
        client.logout()
        if other:
            client.force_login(other)
        for _ in range(2):
            page = client.get(article.get_absolute_url())
            assert SECRET not in page.content.decode()


def test_ending_a_subscription_takes_the_text_away_at_once(client, premium_reader):
    article = ArticleFactory(access_level="premium")
    client.force_login(premium_reader)
    for _ in range(2):
        assert SECRET in client.get(article.get_absolute_url()).content.decode()
    subscription = Subscription.objects.get(user=premium_reader)
    subscription.status = Subscription.Status.EXPIRED
    subscription.save()
    page = client.get(article.get_absolute_url())
    assert SECRET not in page.content.decode()
    assert 'data-paywall="subscription_required"' in page.content.decode()


def test_a_subscription_that_runs_out_stops_granting_without_any_save(client, premium_reader):
    article = ArticleFactory(access_level="premium")
    subscription = Subscription.objects.get(user=premium_reader)
    subscription.current_period_end = timezone.now() + timedelta(seconds=2)
    subscription.save()
    client.force_login(premium_reader)
    for _ in range(2):
        assert SECRET in client.get(article.get_absolute_url()).content.decode()
    # The record says until when it holds; past that the fast path rebuilds it.
    Subscription.objects.filter(pk=subscription.pk).update(
        current_period_end=timezone.now() - timedelta(seconds=1)
    )
    summary = cache.get(readers.summary_key(premium_reader.pk))
    summary["until"] = timezone.now() - timedelta(seconds=1)
    cache.set(readers.summary_key(premium_reader.pk), summary)
    assert SECRET not in client.get(article.get_absolute_url()).content.decode()


def test_changing_a_plan_forgets_every_account_record(client, premium_reader):
    article = ArticleFactory(access_level="premium")
    client.force_login(premium_reader)
    for _ in range(2):
        assert SECRET in client.get(article.get_absolute_url()).content.decode()
    plan = Subscription.objects.get(user=premium_reader).plan
    plan.entitlements = [AD_FREE]
    plan.save()
    page = client.get(article.get_absolute_url()).content.decode()
    assert SECRET not in page
    assert 'data-paywall="upgrade_required"' in page


def test_a_changed_password_ends_the_old_session_on_cached_pages(client, premium_reader):
    article = ArticleFactory(access_level="premium")
    client.force_login(premium_reader)
    for _ in range(2):
        assert SECRET in client.get(article.get_absolute_url()).content.decode()
    premium_reader.set_password("a-new-long-password-123")
    premium_reader.save()
    page = client.get(article.get_absolute_url()).content.decode()
    assert SECRET not in page
    assert 'data-paywall="premium_login"' in page  # signed out, as Django does it


def test_a_stale_record_with_a_new_password_hash_is_not_trusted(client, premium_reader):
    """Even if the record were not forgotten, a session whose hash does not match
    goes down the normal stack."""
    article = ArticleFactory(access_level="premium")
    client.force_login(premium_reader)
    for _ in range(2):
        client.get(article.get_absolute_url())
    summary = cache.get(readers.summary_key(premium_reader.pk))
    summary["auth_hash"] = "not-the-session-hash"
    cache.set(readers.summary_key(premium_reader.pk), summary)
    premium_reader.set_password("another-long-password-456")
    type(premium_reader).objects.filter(pk=premium_reader.pk).update(
        password=premium_reader.password
    )
    assert SECRET not in client.get(article.get_absolute_url()).content.decode()


def test_metered_reread_is_a_hit_that_spends_nothing(client, django_assert_max_num_queries):
    reader = UserFactory()
    article = ArticleFactory(access_level="metered")
    other = ArticleFactory(access_level="metered")  # made now: saving one purges pages
    client.force_login(reader)
    first = client.get(article.get_absolute_url())
    client.get(article.get_absolute_url())  # builds the cached meter record
    with django_assert_max_num_queries(0):
        again = client.get(article.get_absolute_url())
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content  # same meter count: the re-read was free
    assert again["Cache-Control"].startswith("private")
    left = re.search(r'data-meter-left="(\d+)"', first.content.decode())
    # A new metered article still goes through the view and is counted there...
    assert client.get(other.get_absolute_url())["X-Page-Cache"] == "miss"
    # ...and the first article's page then shows the new count, not the cached one.
    after = client.get(article.get_absolute_url())
    assert left
    assert f'data-meter-left="{int(left.group(1)) - 1}"' in after.content.decode()


def test_a_metered_reread_is_a_hit_in_a_process_that_never_counted_a_read(client):
    """The fast path asks for a signed-in reader's meter with the account's id,
    not the session's text: in a process whose meter query was first prepared
    there (a second web node, after its restart), a text id had made a 500."""
    from paywall.meter import _user_meter_reads

    reader = UserFactory()
    article = ArticleFactory(access_level="metered")
    client.force_login(reader)
    first = client.get(article.get_absolute_url())
    _user_meter_reads.shapes.clear()  # as in a process that prepared nothing yet
    readers.forget_meter(reader.pk)  # and that has no meter record for this reader
    again = client.get(article.get_absolute_url())
    assert again.status_code == 200
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert len(_user_meter_reads.shapes) == 1  # prepared again, by the fast path


def test_forged_meter_cookie_still_gets_replaced_on_a_cached_page(client):
    article = ArticleFactory()
    client.get(article.get_absolute_url())
    client.cookies[settings.PAYWALL_METER_COOKIE] = "forged:value"
    response = client.get(article.get_absolute_url())
    assert settings.PAYWALL_METER_COOKIE in response.cookies
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_section_hit_needs_no_section_lookup(client, django_assert_num_queries):
    section = SectionFactory()
    ArticleFactory(section=section)
    assert client.get(section.get_absolute_url())["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        assert client.get(section.get_absolute_url())["X-Page-Cache"] == "hit"
    assert client.get("/rubrik/tidak-ada/").status_code == 404
    assert client.get(section.get_absolute_url() + "?page=x").status_code == 404


def test_the_fast_path_forgets_the_paths_it_resolved_when_the_urls_change(settings):
    """A path's page kind is kept per process; other URL settings resolve it anew."""
    languages = frozenset(code for code, _ in settings.LANGUAGES)
    path = "/ekonomi/2026/11/30/7/kopi-naik/"
    language, kind, kwargs = page_middleware._resolved(path, languages)
    assert (language, kind, kwargs["pk"], kwargs["slug"]) == ("id", "article", 7, "kopi-naik")
    assert page_middleware._resolved("/en" + path, languages)[0] == "en"
    assert page_middleware._resolved("/admin/", languages) is None  # not a cached page

    settings.ROOT_URLCONF = "tests.site.urls_without_pages"

    assert page_middleware._resolved(path, languages) is None
