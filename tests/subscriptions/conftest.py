"""Fixtures for the paywall tests: plans and readers in every subscription state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions.models import Subscription
from tests.factories import PlanFactory, SubscriptionFactory, UserFactory

S = Subscription.Status


@pytest.fixture
def plans(db):
    return {
        "free": PlanFactory(code="free", name="Gratis", price_monthly=0, price_yearly=0),
        "adfree": PlanFactory(
            code="adfree",
            name="Bebas Iklan",
            price_monthly=25_000,
            price_yearly=250_000,
            trial_days=7,
        ),
        "premium": PlanFactory(code="premium", name="Premium", trial_days=14),
    }


def _subscriber(plan, *, status=S.ACTIVE, **fields):
    return SubscriptionFactory(plan=plan, status=status, **fields).user


@pytest.fixture
def readers(plans):
    """One user per reader state of the access matrix (None = anonymous)."""
    now = timezone.now()
    return {
        "anonymous": None,
        "registered": UserFactory(username="registered"),
        "ad_free": _subscriber(plans["adfree"]),
        "premium": _subscriber(plans["premium"]),
        "premium_trialing": _subscriber(
            plans["premium"], status=S.TRIALING, trial_end=now + timedelta(days=5)
        ),
        "past_due_in_grace": _subscriber(
            plans["premium"],
            status=S.PAST_DUE,
            current_period_end=now - timedelta(days=1),
            grace_until=now + timedelta(days=6),
        ),
        "past_due_after_grace": _subscriber(
            plans["premium"],
            status=S.PAST_DUE,
            current_period_end=now - timedelta(days=9),
            grace_until=now - timedelta(days=2),
        ),
        "canceled_paid_up": _subscriber(
            plans["premium"], status=S.CANCELED, cancel_at_period_end=True
        ),
        "expired": _subscriber(
            plans["premium"],
            status=S.EXPIRED,
            current_period_start=now - timedelta(days=40),
            current_period_end=now - timedelta(days=10),
        ),
        "staff": UserFactory(username="staffer", role="Editor"),
    }
