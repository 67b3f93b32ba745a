"""What a reader's current subscriptions allow. Derived, never stored twice."""

from django.db.models import Q
from django.utils import timezone

from .models import Subscription

S = Subscription.Status


def current_subscriptions(user, *, now=None):
    """Subscriptions that grant their plan's entitlements right now.

    Trialing and active ones until their period ends; past_due ones during
    their grace period; canceled ones until the period the reader paid for ends.
    """
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        return Subscription.objects.none()
    return Subscription.objects.filter(user=user).filter(
        Q(status__in=[S.TRIALING, S.ACTIVE, S.CANCELED], current_period_end__gt=now)
        | Q(status=S.PAST_DUE, grace_until__gt=now)
    )


def entitlements_for(user, *, now=None) -> frozenset[str]:
    """The union of the entitlements of the reader's current subscriptions."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_newsroom_entitlements", None)
    if cached is not None and now is None:
        return cached
    granted: set[str] = set()
    for plan_entitlements in current_subscriptions(user, now=now).values_list(
        "plan__entitlements", flat=True
    ):
        granted.update(plan_entitlements or [])
    result = frozenset(granted)
    if now is None:
        user._newsroom_entitlements = result
    return result
