"""What every subscription service shares: the error, prices and periods, the audit
trail, and the row locks (taken in one order: reader, then subscription)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import AuditEntry, Plan, Subscription


class SubscriptionError(ValidationError):
    """A change that is not allowed in the subscription's current state."""


def period_length(billing_period: str) -> timedelta:
    return timedelta(days=365) if billing_period == Subscription.Period.YEAR else timedelta(days=30)


def plan_price(plan: Plan, billing_period: str) -> int:
    return plan.price_yearly if billing_period == Subscription.Period.YEAR else plan.price_monthly


def audit(
    *,
    subscription: Subscription | None,
    user,
    action: str,
    actor=None,
    source: str = "system",
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        user=user,
        subscription=subscription,
        actor=actor,
        source=source,
        action=action,
        reason=reason,
        before=before or {},
        after=after or {},
        created_at=now or timezone.now(),
    )


def source_of(actor) -> str:
    if actor is None:
        return "system"
    return "staff" if getattr(actor, "is_staff", False) else "reader"


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SubscriptionError({"reason": "A reason is required for this change."})
    return reason


# --- Locks and saves -----------------------------------------------------------------


def lock_subscription(subscription_id: int) -> Subscription:
    return Subscription.objects.select_for_update().select_related("plan").get(pk=subscription_id)


def save_subscription(sub: Subscription) -> None:
    sub.full_clean(exclude=["user", "plan", "scheduled_plan"])
    sub.save()


@dataclass
class Change:
    """A locked subscription and its snapshot before the change (for the audit entry)."""

    sub: Subscription
    before: dict


def change_begin(subscription_id: int) -> Change:
    sub = lock_subscription(subscription_id)
    return Change(sub=sub, before=sub.snapshot())


def change_finish(change: Change, *, action, actor, reason, now, source=None) -> Subscription:
    save_subscription(change.sub)
    audit(
        subscription=change.sub,
        user=change.sub.user,
        actor=actor,
        source=source or source_of(actor),
        action=action,
        reason=reason,
        before=change.before,
        after=change.sub.snapshot(),
        now=now,
    )
    return change.sub
