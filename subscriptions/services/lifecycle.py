"""A subscription's life: start, renew, past due, cancel, resume, change plan, expire."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from paywall import funnel

from ..models import Payment, Plan, Subscription
from .common import (
    SubscriptionError,
    audit,
    change_begin,
    change_finish,
    lock_reader,
    period_length,
    plan_price,
    refuse_second_running,
    require_reason,
    save_subscription,
    source_of,
)
from .payments import payment_record

S = Subscription.Status


def current_subscription_for(user, *, now: datetime | None = None) -> Subscription | None:
    """The reader's subscription that grants access now (the best plan), or None."""
    from ..entitlements import current_subscriptions

    return (
        current_subscriptions(user, now=now)
        .select_related("plan", "scheduled_plan")
        .order_by("-plan__price_monthly", "-current_period_end")
        .first()
    )


def has_had_trial(user, plan: Plan) -> bool:
    return Subscription.objects.filter(user=user, plan=plan, trial_end__isnull=False).exists()


def running_subscription_for(user, *, now: datetime) -> Subscription | None:
    """The reader's running subscription (at most one), or None. Call it holding
    ``lock_reader`` when the answer decides a write.

    One whose grace (past_due) or last paid period (set to cancel) is over is
    expired here first, as the sweep would a few minutes later: a reader whose
    payment failed for good may subscribe again at once.
    """
    sub = (
        Subscription.objects.filter(user=user, status__in=Subscription.RUNNING)
        .select_related("plan")
        .first()
    )
    if sub is not None and not sub.grants_access(now):
        sub = subscription_expire(subscription_id=sub.pk, now=now)
    return sub if sub is not None and sub.is_running else None


# --- Starting -------------------------------------------------------------------


def will_trial(user, plan: Plan) -> bool:
    """Starting ``plan`` now would begin with its free trial (nothing charged)."""
    return plan.trial_days > 0 and not has_had_trial(user, plan)


def subscription_start(
    *,
    user,
    plan: Plan,
    billing_period: str = Subscription.Period.MONTH,
    now: datetime,
    actor=None,
    provider: str = "demo",
    provider_customer_id: str = "",
    provider_subscription_id: str = "",
    allow_trial: bool = True,
    reason: str = "",
) -> Subscription:
    """Start a subscription: trialing when the plan has trial days the reader has not used.

    Raises ``AlreadySubscribed`` when the reader already has one running.
    """
    from ..billing import get_provider

    with transaction.atomic():
        lock_reader(user.pk)
        trial = allow_trial and will_trial(user, plan)
        end = now + (timedelta(days=plan.trial_days) if trial else period_length(billing_period))
        sub = Subscription(
            user=user,
            plan=plan,
            billing_period=billing_period,
            status=S.TRIALING if trial else S.ACTIVE,
            current_period_start=now,
            current_period_end=end,
            trial_end=end if trial else None,
            provider=provider,
            provider_customer_id=provider_customer_id,
            provider_subscription_id=provider_subscription_id,
            created_at=now,
        )
        save_subscription(sub)
        audit(
            subscription=sub,
            user=user,
            actor=actor,
            source="provider" if get_provider(provider).reports_by_webhook else source_of(actor),
            action="start",
            reason=reason,
            after=sub.snapshot(),
            now=now,
        )
        _record_on_commit(
            funnel.Event.SUBSCRIPTION_CREATED,
            sub,
            amount_idr=plan_price(plan, billing_period),
            at=now,
        )
    return sub


def _record_on_commit(kind: funnel.Event, sub: Subscription, *, amount_idr: int = 0, at) -> None:
    """A funnel event for ``sub``, once the change is committed (never for a rollback)."""
    user_id, sub_id = sub.user_id, sub.pk
    transaction.on_commit(
        lambda: funnel.record_for_account(
            kind, user_id=user_id, subscription_id=sub_id, amount_idr=amount_idr, at=at
        )
    )


def subscription_renew(
    *, subscription_id: int, now: datetime, payment_id: str | None = None, actor=None
) -> Subscription:
    """A paid renewal: next period starts where the last ended; a scheduled downgrade applies.

    Idempotent per ``payment_id``: the same payment never extends twice.
    """
    with transaction.atomic():
        change = change_begin(subscription_id)
        sub = change.sub
        if sub.status == S.EXPIRED:
            raise SubscriptionError("An expired subscription cannot be renewed; start a new one.")
        if payment_id is None and sub.status != S.PAST_DUE and sub.current_period_end > now:
            return sub  # not due yet: a repeated call renews nothing
        payment_id = payment_id or f"renewal_{sub.pk}_{sub.current_period_end:%Y%m%d%H%M}"
        if Payment.objects.filter(provider=sub.provider, provider_payment_id=payment_id).exists():
            return sub
        if sub.scheduled_plan_id:
            sub.plan = sub.scheduled_plan
            sub.scheduled_plan = None
        start = max(sub.current_period_end, now) if sub.status != S.PAST_DUE else now
        sub.current_period_start = start
        sub.current_period_end = start + period_length(sub.billing_period)
        sub.status = S.ACTIVE
        sub.grace_until = None
        payment_record(
            user=sub.user,
            subscription=sub,
            amount=plan_price(sub.plan, sub.billing_period),
            provider=sub.provider,
            provider_payment_id=payment_id,
            status=Payment.Status.SUCCEEDED,
            description=f"{sub.plan.name} renewal",
            now=now,
        )
        return change_finish(change, action="renew", actor=actor, reason="", now=now)


def subscription_mark_past_due(
    *, subscription_id: int, now: datetime, payment_id: str = ""
) -> Subscription:
    """A renewal payment failed: keep access through the grace period while it is retried."""
    with transaction.atomic():
        change = change_begin(subscription_id)
        sub = change.sub
        if sub.status == S.PAST_DUE or sub.status in (S.CANCELED, S.EXPIRED):
            return sub
        sub.status = S.PAST_DUE
        sub.grace_until = max(sub.current_period_end, now) + timedelta(
            days=settings.SUBSCRIPTION_GRACE_DAYS
        )
        if payment_id:
            payment_record(
                user=sub.user,
                subscription=sub,
                amount=plan_price(sub.plan, sub.billing_period),
                provider=sub.provider,
                provider_payment_id=payment_id,
                status=Payment.Status.FAILED,
                description=f"{sub.plan.name} renewal",
                now=now,
            )
        return change_finish(
            change, action="past_due", actor=None, reason="payment failed", now=now
        )


def subscription_cancel(
    *,
    subscription_id: int,
    actor,
    now: datetime,
    reason: str = "",
    immediately: bool = False,
) -> Subscription:
    """Cancel. Readers cancel at period end (access kept, can resume); staff may end it now."""
    from ..billing import get_provider

    if actor is not None and getattr(actor, "is_staff", False):
        reason = require_reason(reason)
    with transaction.atomic():
        change = change_begin(subscription_id)
        sub = change.sub
        if sub.status == S.EXPIRED:
            return sub
        if immediately:
            sub.status = S.EXPIRED
            sub.current_period_end = min(sub.current_period_end, now)
            sub.canceled_at = sub.canceled_at or now
            sub.cancel_at_period_end = False
            sub.grace_until = None
            action = "cancel_now"
        else:
            if sub.cancel_at_period_end or sub.status == S.CANCELED:
                return sub
            # "canceled" = paid up until the period ends, then expired.
            sub.status = S.CANCELED
            sub.cancel_at_period_end = True
            sub.canceled_at = now
            sub.scheduled_plan = None
            action = "cancel_at_period_end"
        get_provider(sub.provider).cancel(subscription=sub, immediately=immediately)
        _record_on_commit(funnel.Event.SUBSCRIPTION_CANCELLED, sub, at=now)
        return change_finish(change, action=action, actor=actor, reason=reason, now=now)


def subscription_resume(*, subscription_id: int, actor, now: datetime) -> Subscription:
    """Undo a cancel-at-period-end while the period still runs."""
    from ..billing import get_provider

    with transaction.atomic():
        change = change_begin(subscription_id)
        sub = change.sub
        if not sub.cancel_at_period_end and sub.status != S.CANCELED:
            return sub
        if sub.current_period_end <= now or sub.status == S.EXPIRED:
            raise SubscriptionError("This subscription has ended; subscribe again instead.")
        sub.cancel_at_period_end = False
        sub.canceled_at = None
        if sub.status == S.CANCELED:
            sub.status = S.ACTIVE
        refuse_second_running(sub)  # before the provider hears of it
        get_provider(sub.provider).resume(subscription=sub)
        return change_finish(change, action="resume", actor=actor, reason="", now=now)


def subscription_change_plan(
    *, subscription_id: int, plan: Plan, actor, now: datetime
) -> Subscription:
    """Upgrade at once (charging the unused part of the difference); downgrade at period end."""
    with transaction.atomic():
        change = change_begin(subscription_id)
        sub = change.sub
        if not plan.is_active:
            raise SubscriptionError("This plan is not on sale.")
        if sub.status not in (S.TRIALING, S.ACTIVE) or sub.cancel_at_period_end:
            raise SubscriptionError("Only a running subscription can change plan.")
        if plan.pk == sub.plan_id:
            if sub.scheduled_plan_id:  # staying after all: drop the pending downgrade
                sub.scheduled_plan = None
                return change_finish(change, action="keep_plan", actor=actor, reason="", now=now)
            return sub
        old_price = plan_price(sub.plan, sub.billing_period)
        new_price = plan_price(plan, sub.billing_period)
        if new_price > old_price:
            if sub.status == S.ACTIVE:
                total = (sub.current_period_end - sub.current_period_start).total_seconds()
                remaining = max((sub.current_period_end - now).total_seconds(), 0)
                prorated = round((new_price - old_price) * remaining / total) if total else 0
                if prorated:
                    payment_record(
                        user=sub.user,
                        subscription=sub,
                        amount=prorated,
                        provider=sub.provider,
                        provider_payment_id=f"upgrade_{sub.pk}_{plan.code}_{now:%Y%m%d%H%M%S}",
                        status=Payment.Status.SUCCEEDED,
                        description=f"Upgrade to {plan.name} (prorated)",
                        now=now,
                    )
            sub.plan = plan
            sub.scheduled_plan = None
            action = "upgrade"
        else:
            sub.scheduled_plan = plan
            action = "downgrade_scheduled"
        return change_finish(change, action=action, actor=actor, reason="", now=now)


def subscription_expire(*, subscription_id: int, now: datetime) -> Subscription:
    """End a subscription whose paid period (or grace period) is over."""
    with transaction.atomic():
        change = change_begin(subscription_id)
        sub = change.sub
        if sub.status == S.EXPIRED or sub.grants_access(now):
            return sub
        if sub.status in (S.TRIALING, S.ACTIVE) and not sub.cancel_at_period_end:
            return sub  # due for renewal, not for expiry: the renewal task handles it
        sub.status = S.EXPIRED
        sub.grace_until = None
        return change_finish(change, action="expire", actor=None, reason="", now=now)
