"""Staff operations on a reader's subscription: each needs a reason and is audited."""

from datetime import datetime, timedelta

from django.db import transaction

from ..models import Plan, Subscription
from .common import (
    SubscriptionError,
    audit,
    change_begin,
    change_finish,
    lock_reader,
    require_reason,
    save_subscription,
)
from .lifecycle import subscription_cancel

S = Subscription.Status


def staff_comp(*, user, plan: Plan, days: int, actor, reason: str, now: datetime) -> Subscription:
    """Give a reader a plan free for ``days`` (no payment); audited with the reason.

    Refused (``AlreadySubscribed``) when the reader has a subscription running:
    extend that one instead.
    """
    reason = require_reason(reason)
    if days <= 0:
        raise SubscriptionError({"days": "Give at least one day."})
    with transaction.atomic():
        lock_reader(user.pk)
        sub = Subscription(
            user=user,
            plan=plan,
            status=S.ACTIVE,
            current_period_start=now,
            current_period_end=now + timedelta(days=days),
            cancel_at_period_end=True,  # a gift does not renew
            provider="comp",
            created_at=now,
        )
        save_subscription(sub)
        audit(
            subscription=sub,
            user=user,
            actor=actor,
            source="staff",
            action="comp",
            reason=reason,
            after=sub.snapshot(),
            now=now,
        )
    return sub


def staff_extend(
    *, subscription_id: int, days: int, actor, reason: str, now: datetime
) -> Subscription:
    """Add ``days`` to the current period (e.g. goodwill after an outage)."""
    reason = require_reason(reason)
    if days <= 0:
        raise SubscriptionError({"days": "Extend by at least one day."})
    with transaction.atomic():
        change = change_begin(subscription_id)
        sub = change.sub
        sub.current_period_end = max(sub.current_period_end, now) + timedelta(days=days)
        if sub.status in (S.EXPIRED, S.PAST_DUE):
            sub.status = S.CANCELED if sub.cancel_at_period_end else S.ACTIVE
            sub.grace_until = None
        return change_finish(
            change, action="extend", actor=actor, reason=reason, now=now, source="staff"
        )


def staff_cancel(
    *, subscription_id: int, actor, reason: str, now: datetime, immediately: bool = True
) -> Subscription:
    return subscription_cancel(
        subscription_id=subscription_id,
        actor=actor,
        reason=require_reason(reason),
        now=now,
        immediately=immediately,
    )
