"""What every subscription service shares: the error, prices and periods, the audit
trail, and the row locks (taken in one order: reader, then subscription)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import AuditEntry, Plan, Subscription


class SubscriptionError(ValidationError):
    """A change that is not allowed in the subscription's current state."""


class AlreadySubscribed(SubscriptionError):
    """The reader already has a running subscription (one per reader: see
    ``models.RUNNING_STATUSES``); changing plan is ``subscription_change_plan``."""

    def __init__(self, running: Subscription):
        super().__init__(
            f"The reader already has a running subscription (#{running.pk}); "
            "change or extend that one instead.",
            code="already_subscribed",
        )
        self.running = running


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
#
# Lock order, everywhere: the reader's user row, then their subscription rows,
# then checkout rows. The reader lock serializes every change that could make
# a second subscription run (two checkouts paid at once, a webhook and a
# checkout, a resume and a comp), so the "one running" check below is exact;
# the database constraint backs it up.


def lock_reader(user_id: int) -> None:
    """Hold the reader's row until the transaction ends (a no-op on SQLite,
    which runs one writing transaction at a time anyway)."""
    get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk").first()


def other_running(sub: Subscription):
    """The reader's running subscriptions other than ``sub``."""
    return Subscription.objects.filter(
        user_id=sub.user_id, status__in=Subscription.RUNNING
    ).exclude(pk=sub.pk)


def refuse_second_running(sub: Subscription) -> None:
    """Raise ``AlreadySubscribed`` if saving ``sub`` would give its reader two running
    subscriptions. Call it under the reader lock, before telling any provider."""
    if sub.is_running:
        running = other_running(sub).select_related("plan").first()
        if running is not None:
            raise AlreadySubscribed(running)


def lock_subscription(subscription_id: int) -> Subscription:
    return Subscription.objects.select_for_update().select_related("plan").get(pk=subscription_id)


def save_subscription(sub: Subscription) -> None:
    refuse_second_running(sub)  # first: full_clean would report the constraint less kindly
    sub.full_clean(exclude=["user", "plan", "scheduled_plan", "duplicate_of"])
    sub.save()


@dataclass
class Change:
    """A locked subscription and its snapshot before the change (for the audit entry)."""

    sub: Subscription
    before: dict


def change_begin(subscription_id: int) -> Change:
    user_id = Subscription.objects.values_list("user_id", flat=True).get(pk=subscription_id)
    lock_reader(user_id)
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
