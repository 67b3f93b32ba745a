"""Funnel events are recorded where a reader meets the paywall and where money moves.

Each test drives the real page (or service) through the test client, then runs
the roll-up (no Redis here: the events wait in the process buffer, as in the
embedded demo) and reads the ``FunnelEvent`` rows a desk would count.
"""

import json
import re

import pytest
from django.conf import settings

from analytics.models import FunnelDaily, FunnelEvent, ReaderLink
from paywall.funnel import Event
from paywall.rules import current_rules
from subscriptions.models import Subscription
from tests.factories import ArticleFactory, SubscriptionFactory, UserFactory

from .conftest import SECRET, events, roll_up

pytestmark = pytest.mark.django_db

E = Event


def _meter_key(client) -> str:
    from django.core import signing

    from paywall.meter import COOKIE_SALT

    raw = client.cookies[settings.PAYWALL_METER_COOKIE].value
    return signing.get_cookie_signer(salt=COOKIE_SALT).unsign(raw)


# --- The gate ---------------------------------------------------------------------------


def test_a_gated_page_is_a_gate_impression_from_the_view_and_from_the_fast_path(
    client, django_assert_num_queries
):
    article = ArticleFactory(access_level="premium")
    miss = client.get(article.get_absolute_url())
    # The fast path serves the cached gate with no SQL, and still records it.
    with django_assert_num_queries(0):
        hit = client.get(article.get_absolute_url())
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert 'data-paywall="premium_login"' in hit.content.decode()
    roll_up()
    gates = events(E.GATE_IMPRESSION)
    assert len(gates) == 2
    assert {(e.article_id, e.reason) for e in gates} == {(article.pk, "premium_login")}
    assert {e.rules_version for e in gates} == {current_rules().version}
    assert FunnelDaily.objects.get(kind=E.GATE_IMPRESSION, article=article).events == 2


def test_a_cached_view_hit_of_a_signed_in_reader_is_a_gate_impression(client):
    """A signed-in reader without a plan: the second page comes from the page cache."""
    article = ArticleFactory(access_level="premium")
    user = UserFactory()
    client.force_login(user)
    client.get(article.get_absolute_url())
    second = client.get(article.get_absolute_url())
    assert second["X-Page-Cache"] == "hit"
    roll_up()
    gates = events(E.GATE_IMPRESSION)
    assert [(e.reason, e.reader, e.user_id) for e in gates] == [
        ("subscription_required", f"u:{user.pk}", user.pk)
    ] * 2


def test_the_api_detail_of_a_gated_article_is_a_gate_impression(client):
    article = ArticleFactory(access_level="registered")
    assert client.get(f"/api/v1/articles/{article.pk}").status_code == 200
    roll_up()
    (gate,) = events(E.GATE_IMPRESSION)
    assert (gate.article_id, gate.reason) == (article.pk, "registration_required")


def test_granted_pages_crawlers_and_prefetches_are_not_gate_impressions(client):
    free, premium = ArticleFactory(), ArticleFactory(access_level="premium")
    client.get(free.get_absolute_url())
    client.head(premium.get_absolute_url())
    client.get(premium.get_absolute_url(), HTTP_SEC_PURPOSE="prefetch")
    client.get(premium.get_absolute_url(), HTTP_USER_AGENT="ExampleCrawler/1.0")
    subscriber = SubscriptionFactory().user
    client.force_login(subscriber)
    assert SECRET in client.get(premium.get_absolute_url()).content.decode()
    roll_up()
    assert events() == []


def test_an_exhausted_meter_records_the_refused_read_for_the_anonymous_reader(client):
    articles = [ArticleFactory(access_level="metered") for _ in range(4)]
    for article in articles[:3]:
        assert SECRET in client.get(article.get_absolute_url()).content.decode()
    refused = client.get(articles[3].get_absolute_url())
    assert 'data-paywall="meter_exhausted"' in refused.content.decode()
    roll_up()
    key = _meter_key(client)
    (exhausted,) = events(E.METER_EXHAUSTED)
    (gate,) = events(E.GATE_IMPRESSION)
    for event in (exhausted, gate):
        assert (event.article_id, event.reason) == (articles[3].pk, "meter_exhausted")
        assert event.reader == f"m:{key}"
        assert event.user_id is None


# --- From the gate to the plans page ------------------------------------------------------


def test_the_gate_links_to_the_plans_page_naming_the_article_and_the_click_is_recorded(
    client, plans
):
    article = ArticleFactory(access_level="premium")
    page = client.get(article.get_absolute_url()).content.decode()
    link = re.search(r'href="(/langganan/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert link == f"/langganan/?from={article.pk}&reason=premium_login"
    response = client.get(link)
    assert response.status_code == 200
    assert "Premium" in response.content.decode()
    roll_up()
    (click,) = events(E.SUBSCRIBE_CLICK)
    assert (click.article_id, click.reason) == (article.pk, "premium_login")


@pytest.mark.parametrize(
    "query", ["?from=abc", "?from=-3", "?from=", "?from=99999999999999999999", "?reason=x"]
)
def test_a_plans_link_with_a_bad_article_still_shows_the_plans_and_records_nothing(
    client, plans, query
):
    response = client.get(f"/langganan/{query}")
    assert response.status_code == 200
    roll_up()
    assert events() == []


def test_a_click_naming_a_deleted_article_is_kept_without_the_article(client, plans):
    article = ArticleFactory(access_level="premium")
    client.get(f"/langganan/?from={article.pk}&reason=not-a-reason")
    article.delete()
    roll_up()
    (click,) = events(E.SUBSCRIBE_CLICK)
    assert (click.article_id, click.reason) == (None, "")


# --- Registration, checkout, subscription ----------------------------------------------


def test_signing_up_from_the_gate_records_the_registration_and_links_the_anonymous_reader(
    client, signup_data
):
    gated = ArticleFactory(access_level="metered")
    for article in [ArticleFactory(access_level="metered") for _ in range(3)]:
        client.get(article.get_absolute_url())
    page = client.get(gated.get_absolute_url()).content.decode()
    key = _meter_key(client)
    signup = re.search(r'href="(/akun/daftar/\?[^"]+)"', page).group(1).replace("&amp;", "&")
    form = client.get(signup).content.decode()
    assert f'name="from" value="{gated.pk}"' in form
    mistyped = {**signup_data, "password2": "lain", "from": gated.pk, "reason": "meter_exhausted"}
    again = client.post("/akun/daftar/", mistyped).content.decode()
    assert f'name="from" value="{gated.pk}"' in again  # kept through a form error
    response = client.post(signup, {**signup_data, "from": gated.pk, "reason": "meter_exhausted"})
    assert response.status_code == 302
    roll_up()
    user = Subscription._meta.get_field("user").related_model.objects.get(username="pembaca-baru")
    (registration,) = events(E.REGISTRATION)
    assert (registration.reader, registration.user_id, registration.article_id) == (
        f"u:{user.pk}",
        user.pk,
        gated.pk,
    )
    assert ReaderLink.objects.filter(reader=f"m:{key}", user=user).exists()


def test_checkout_subscription_and_cancel_are_recorded_once_committed(
    client, plans, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        pay = client.post("/langganan/beli/adfree/", {"billing_period": "month"})["Location"]
        client.post(pay, {"outcome": "pay"})
    sub = Subscription.objects.get(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/akun/langganan/{sub.pk}/batal/")
    roll_up()
    kinds = [(e.kind, e.reader, e.amount_idr, e.subscription_id) for e in events()]
    assert kinds == [
        (E.CHECKOUT_STARTED, f"u:{user.pk}", 25_000, None),
        (E.SUBSCRIPTION_CREATED, f"u:{user.pk}", 25_000, sub.pk),
        (E.SUBSCRIPTION_CANCELLED, f"u:{user.pk}", 0, sub.pk),
    ]
    daily = FunnelDaily.objects.get(kind=E.SUBSCRIPTION_CREATED)
    assert (daily.events, daily.amount_idr) == (1, 25_000)


def test_a_refused_checkout_records_nothing(client, plans, django_capture_on_commit_callbacks):
    sub = SubscriptionFactory(plan=plans["adfree"])
    client.force_login(sub.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/langganan/beli/premium/", {"billing_period": "month"})
    roll_up()
    assert events() == []


# --- Exactly once, and never article text --------------------------------------------------


def test_rolling_up_twice_counts_each_event_once(client):
    article = ArticleFactory(access_level="premium")
    client.get(article.get_absolute_url())
    roll_up()
    roll_up()
    assert FunnelEvent.objects.count() == 1
    assert FunnelDaily.objects.get(kind=E.GATE_IMPRESSION).events == 1


def test_funnel_events_never_store_article_text(client, plans, signup_data):
    articles = [
        ArticleFactory(access_level=level) for level in ("premium", "registered", "metered")
    ]
    for _ in range(2):
        for article in articles:
            client.get(article.get_absolute_url())
            client.get(f"/api/v1/articles/{article.pk}")
            client.get(f"/langganan/?from={article.pk}&reason=premium_login")
    roll_up()
    assert FunnelEvent.objects.count() > 6
    stored = json.dumps(
        [list(FunnelEvent.objects.values()), list(FunnelDaily.objects.values())], default=str
    )
    for article in articles:
        for text in (SECRET, "RAHASIA-PARAGRAF-EMPAT", "Paragraf pembuka", article.headline):
            assert text not in stored


def test_a_reader_who_met_the_gate_anonymously_then_subscribed_credits_those_articles(
    client, plans, signup_data, django_capture_on_commit_callbacks
):
    first, last = ArticleFactory(access_level="metered"), ArticleFactory(access_level="premium")
    for article in [ArticleFactory(access_level="metered") for _ in range(3)]:
        client.get(article.get_absolute_url())
    client.get(first.get_absolute_url())  # the meter is exhausted: gated
    client.post("/akun/daftar/", signup_data)
    client.get(last.get_absolute_url())  # signed in now, no plan: gated
    client.get(f"/langganan/?from={last.pk}&reason=subscription_required")
    with django_capture_on_commit_callbacks(execute=True):
        pay = client.post("/langganan/beli/adfree/", {"billing_period": "month"})["Location"]
        client.post(pay, {"outcome": "pay"})
    sub = Subscription.objects.get()
    roll_up()
    credit = {a.model: (a.article_id, a.credited_idr) for a in sub.attributions.all()}
    assert credit == {"first_touch": (first.pk, 25_000), "last_touch": (last.pk, 25_000)}
