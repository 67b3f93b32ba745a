"""The reader's own data: me, entitlements, subscription, meter, tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions.models import Subscription
from tests.factories import ArticleFactory, PlanFactory, SubscriptionFactory, UserFactory

from .conftest import assert_error, auth, make_token

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.mark.parametrize(
    "path",
    ["me", "me/entitlements", "me/subscription", "me/subscriptions", "me/meter", "me/tokens"],
)
def test_reader_endpoints_need_a_session_or_token(client, path):
    assert_error(client.get(f"{API}/{path}"), 401, "unauthenticated")


def test_me_by_session_and_by_token(client, premium_reader):
    token = make_token(premium_reader, "read")
    by_token = client.get(f"{API}/me", **auth(token)).json()
    client.force_login(premium_reader)
    response = client.get(f"{API}/me")
    assert response.json() == by_token
    assert by_token["username"] == premium_reader.username
    assert by_token["entitlement_class"] == "premium"
    assert "premium_content" in by_token["entitlements"]
    assert response["Cache-Control"].startswith("private")


def test_entitlements_follow_the_current_subscription(client, adfree_reader, registered):
    client.force_login(adfree_reader)
    assert client.get(f"{API}/me/entitlements").json() == {
        "entitlement_class": "ad_free",
        "entitlements": ["ad_free"],
    }
    client.force_login(registered)
    assert client.get(f"{API}/me/entitlements").json()["entitlements"] == []


def test_my_subscription_is_the_current_one(client, premium_reader):
    expired = SubscriptionFactory(
        user=premium_reader,
        plan=PlanFactory(code="adfree", name="Bebas iklan"),
        status=Subscription.Status.EXPIRED,
        current_period_end=timezone.now() - timedelta(days=3),
    )
    client.force_login(premium_reader)

    current = client.get(f"{API}/me/subscription").json()["subscription"]
    listed = client.get(f"{API}/me/subscriptions").json()["items"]

    assert current["plan"]["code"] == "premium"
    assert current["is_current"] is True
    assert {s["id"]: s["is_current"] for s in listed}[expired.pk] is False
    assert len(listed) == 2


def test_reader_without_subscription_gets_null(client, registered):
    client.force_login(registered)
    assert client.get(f"{API}/me/subscription").json() == {
        "subscription": None,
        "renews_at": None,
        "ends_at": None,
    }


def test_my_subscription_is_the_best_current_plan_as_the_account_page_shows(client, premium_reader):
    """Two current subscriptions: the API and the account page name the same one.

    (Only one may run; the other is canceled but paid up for longer.)"""
    premium = Subscription.objects.get(user=premium_reader)
    SubscriptionFactory(
        user=premium_reader,
        plan=PlanFactory(code="adfree", name="Bebas iklan", price_monthly=10_000),
        status=Subscription.Status.CANCELED,
        cancel_at_period_end=True,
        current_period_end=premium.current_period_end + timedelta(days=20),
    )
    client.force_login(premium_reader)
    body = client.get(f"{API}/me/subscription").json()
    assert body["subscription"]["id"] == premium.pk
    assert body["renews_at"] is not None
    assert body["ends_at"] is None

    premium.cancel_at_period_end = True
    premium.save()
    body = client.get(f"{API}/me/subscription").json()
    assert body["renews_at"] is None
    assert body["ends_at"] is not None


def test_another_readers_subscription_is_not_found(client, premium_reader, registered):
    theirs = Subscription.objects.get(user=premium_reader)
    client.force_login(registered)
    assert_error(client.get(f"{API}/me/subscriptions/{theirs.pk}"), 404, "not_found")
    client.force_login(premium_reader)
    assert client.get(f"{API}/me/subscriptions/{theirs.pk}").json()["id"] == theirs.pk


def test_meter_for_subscribers_and_others(client, premium_reader, registered):
    client.force_login(premium_reader)
    assert client.get(f"{API}/me/meter").json() == {
        "metered": False,
        "reason": "subscriber",
        "limit": None,
        "used": None,
        "left": None,
        "period_end": None,
    }
    client.force_login(registered)
    meter = client.get(f"{API}/me/meter").json()
    assert meter["metered"] is True
    assert meter["reason"] == "metered"
    assert meter["used"] == 0
    assert meter["left"] == meter["limit"]


def test_meter_counts_what_the_article_page_spent(client, registered, settings):
    """Reads spent on the site show in the API's meter; a re-read is not counted."""
    settings.PAYWALL_METER_REGISTERED = 2
    first, second = (ArticleFactory(access_level="metered") for _ in range(2))
    client.force_login(registered)

    assert client.get(first.get_absolute_url()).status_code == 200
    assert client.get(first.get_absolute_url()).status_code == 200
    meter = client.get(f"{API}/me/meter").json()
    assert (meter["used"], meter["left"], meter["reason"]) == (1, 1, "metered")

    client.get(second.get_absolute_url())
    meter = client.get(f"{API}/me/meter").json()
    assert (meter["used"], meter["left"], meter["reason"]) == (
        2,
        0,
        "meter_exhausted_registered",
    )


def test_another_users_token_cannot_be_revoked(client, registered):
    other = UserFactory()
    make_token(other, "read")
    theirs = other.api_tokens.get()
    client.force_login(registered)
    assert_error(client.delete(f"{API}/me/tokens/{theirs.pk}"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoked_token_stops_working_at_once(client, registered):
    raw = make_token(registered, "read")
    token = registered.api_tokens.get()
    assert client.get(f"{API}/me", **auth(raw)).status_code == 200

    response = client.delete(f"{API}/me/tokens/{token.pk}", **auth(raw))
    assert response.status_code == 200
    assert response.json()["revoked_at"]

    assert_error(client.get(f"{API}/me", **auth(raw)), 401, "unauthenticated")
    # A bad token on a public endpoint is refused too, not read as anonymous.
    assert_error(client.get(f"{API}/articles", **auth(raw)), 401, "unauthenticated")


def test_token_list_never_shows_secrets(client, registered):
    raw = make_token(registered, "read")
    client.force_login(registered)
    response = client.get(f"{API}/me/tokens")
    assert raw.encode() not in response.content
    assert response.json()["items"][0]["prefix"] in raw
