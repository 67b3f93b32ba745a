"""Reads about a reader's subscription, for the account page and the API."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from paywall.meter import MeterState, meter_state

from .entitlements import entitlements_for
from .models import Payment, Plan, Subscription
from .rights import rights_for_user
from .services.lifecycle import current_subscription_for


def plans_on_sale():
    """Plans a reader can buy or switch to, cheapest first."""
    return Plan.objects.filter(is_active=True).order_by("position", "price_monthly")


def payment_history(user, *, limit: int = 24):
    return Payment.objects.filter(user=user).select_related("subscription__plan")[:limit]


def subscriptions_of(user, *, limit: int = 20):
    """Every subscription the reader ever had, newest first (the model's order)."""
    return Subscription.objects.filter(user=user).select_related("plan", "scheduled_plan")[:limit]


@dataclass
class ReaderSummary:
    """Everything the account page and ``/api/v1/me`` show about a reader."""

    user: object
    entitlements: frozenset[str]
    subscription: Subscription | None
    subscriptions: list[Subscription]
    meter: MeterState
    entitlement_class: str
    renews_at: datetime | None = None
    ends_at: datetime | None = None
    extra: dict = field(default_factory=dict)


def reader_summary(user, *, now: datetime | None = None) -> ReaderSummary:
    """The reader's entitlements, current subscription, its renewal or end date, and meter."""
    now = now or timezone.now()
    entitlements = entitlements_for(user, now=now)
    rights = rights_for_user(user, now=now)
    current = current_subscription_for(user, now=now)
    renews_at = ends_at = None
    if current is not None:
        if current.status in (Subscription.Status.ACTIVE, Subscription.Status.TRIALING) and not (
            current.cancel_at_period_end
        ):
            renews_at = current.current_period_end
        elif current.status == Subscription.Status.PAST_DUE:
            ends_at = current.grace_until
        else:
            ends_at = current.current_period_end
    return ReaderSummary(
        user=user,
        entitlements=entitlements,
        subscription=current,
        subscriptions=list(subscriptions_of(user, limit=20)),
        meter=meter_state(rights, now),
        entitlement_class=rights.cache_class,
        renews_at=renews_at,
        ends_at=ends_at,
    )
