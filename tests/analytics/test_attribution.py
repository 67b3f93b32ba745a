"""A new subscription is credited to the articles that led to it: first and last touch."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.attribution import attribute_pending, attribute_subscription
from analytics.models import Attribution, FunnelEvent, ReaderLink
from paywall.funnel import Event
from paywall.meter import local_date
from subscriptions.models import Payment
from tests.factories import ArticleFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db

FIRST, LAST = Attribution.Model.FIRST_TOUCH, Attribution.Model.LAST_TOUCH
_seq = iter(range(10**6))


def touch(reader: str, article, at, kind=Event.GATE_IMPRESSION) -> FunnelEvent:
    return FunnelEvent.objects.create(
        event_id=f"ev-{next(_seq)}",
        kind=kind,
        at=at,
        day=local_date(at),
        reader=reader,
        article=article,
        reason="premium_login",
    )


def credit(sub) -> dict:
    return {
        a.model: (a.article_id, a.credited_idr, a.touch_kind)
        for a in Attribution.objects.filter(subscription=sub)
    }


@pytest.fixture
def story():
    """A reader met three articles anonymously and signed in; two weeks later they subscribed."""
    now = timezone.now()
    user = UserFactory()
    ReaderLink.objects.create(reader="m:anon-1", user=user)
    a, b, c, elsewhere = (ArticleFactory(access_level="premium") for _ in range(4))
    touch("m:anon-1", a, now - timedelta(days=20))
    touch("m:anon-1", b, now - timedelta(days=10), kind=Event.METER_EXHAUSTED)
    touch(f"u:{user.pk}", c, now - timedelta(hours=1), kind=Event.SUBSCRIBE_CLICK)
    touch("m:someone-else", elsewhere, now - timedelta(hours=2))  # another reader
    touch(f"u:{user.pk}", elsewhere, now + timedelta(hours=1))  # after subscribing
    sub = SubscriptionFactory(user=user, created_at=now, billing_period="month")
    return {"sub": sub, "a": a, "b": b, "c": c, "now": now}


def test_first_touch_and_last_touch_follow_the_reader_across_sign_in(story):
    attribute_subscription(story["sub"].pk)
    assert credit(story["sub"]) == {
        FIRST: (story["a"].pk, 65_000, Event.GATE_IMPRESSION),
        LAST: (story["c"].pk, 65_000, Event.SUBSCRIBE_CLICK),
    }


def test_the_credit_is_the_first_payment_when_there_is_one(story):
    sub = story["sub"]
    for amount, minutes in ((48_750, 0), (65_000, 5)):  # an introductory price, then renewal
        Payment.objects.create(
            user=sub.user,
            subscription=sub,
            amount=amount,
            status=Payment.Status.SUCCEEDED,
            provider_payment_id=f"p{amount}",
            created_at=story["now"] + timedelta(minutes=minutes),
        )
    attribute_subscription(sub.pk)
    assert {m: v[1] for m, v in credit(sub).items()} == {FIRST: 48_750, LAST: 48_750}


def test_the_window_includes_its_first_day_and_nothing_before(story, settings):
    settings.ATTRIBUTION_WINDOW_DAYS = 20
    sub, now = story["sub"], story["now"]
    edge = ArticleFactory()
    touch("m:anon-1", edge, now - timedelta(days=20, seconds=1))  # just outside
    attribute_subscription(sub.pk)
    assert credit(sub)[FIRST][0] == story["a"].pk  # exactly 20 days before: inside
    Attribution.objects.all().delete()
    settings.ATTRIBUTION_WINDOW_DAYS = 19
    attribute_subscription(sub.pk)
    assert credit(sub)[FIRST][0] == story["b"].pk


def test_a_subscription_with_no_touch_is_direct(db):
    sub = SubscriptionFactory()
    touch(f"u:{sub.user_id}", ArticleFactory(), sub.created_at - timedelta(days=31))
    attribute_subscription(sub.pk)
    assert credit(sub) == {FIRST: (None, 65_000, ""), LAST: (None, 65_000, "")}


def test_attributing_again_changes_nothing(story):
    sub = story["sub"]
    attribute_subscription(sub.pk)
    touch(f"u:{sub.user_id}", ArticleFactory(), story["now"] - timedelta(minutes=1))
    attribute_subscription(sub.pk)
    assert Attribution.objects.filter(subscription=sub).count() == 2
    assert credit(sub)[LAST][0] == story["c"].pk


def test_the_roll_up_attributes_each_new_subscription_once(story):
    sub = story["sub"]
    FunnelEvent.objects.create(
        event_id="created-1",
        kind=Event.SUBSCRIPTION_CREATED,
        at=story["now"],
        day=local_date(story["now"]),
        reader=f"u:{sub.user_id}",
        user=sub.user,
        subscription=sub,
        amount_idr=65_000,
    )
    assert attribute_pending() == 1
    assert attribute_pending() == 0
    assert credit(sub)[LAST][0] == story["c"].pk
