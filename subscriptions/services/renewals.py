"""The periodic lifecycle sweep: renew what is due, expire what has lapsed.

Each function selects the rows and hands each one to its lifecycle service,
which locks it and returns early when the change is already done, so a sweep
run twice (or two beat ticks overlapping) changes each subscription once.
"""

from datetime import datetime

from django.db.models import Q

from ..billing import providers_that
from ..models import Subscription
from .lifecycle import subscription_expire, subscription_renew

S = Subscription.Status


def renew_due(*, now: datetime) -> int:
    """Charge subscriptions whose period (or trial) has ended and that should renew,
    for the providers whose renewals we charge (``charges_renewals_here``).

    Stripe renews on its side and tells us by webhook; the demo provider's
    charge always succeeds. Returns how many were handed to the renewal.
    """
    due = Subscription.objects.filter(
        provider__in=providers_that("charges_renewals_here"),
        status__in=[S.TRIALING, S.ACTIVE],
        cancel_at_period_end=False,
        current_period_end__lte=now,
    ).values_list("pk", flat=True)
    done = 0
    for pk in due:
        subscription_renew(subscription_id=pk, now=now)
        done += 1
    return done


def expire_lapsed(*, now: datetime) -> int:
    """Expire canceled subscriptions past their period and past_due ones past their grace."""
    lapsed = Subscription.objects.filter(
        Q(status=S.CANCELED, current_period_end__lte=now)
        | Q(status=S.PAST_DUE, grace_until__lte=now)
        | Q(
            status__in=[S.ACTIVE, S.TRIALING],
            cancel_at_period_end=True,
            current_period_end__lte=now,
        )
    ).values_list("pk", flat=True)
    count = 0
    for pk in lapsed:
        if subscription_expire(subscription_id=pk, now=now).status == S.EXPIRED:
            count += 1
    return count
