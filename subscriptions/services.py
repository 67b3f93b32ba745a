"""Every write to a subscription, payment or checkout: the one place they happen.

Views, the admin, webhooks, tasks and commands call these functions, so they
all behave the same. Each change to a subscription writes an ``AuditEntry``
(who, what, why, before and after). Changes that move money or entitlements
are idempotent: they lock the row they change and return early when the
change is already done, and payments are unique per provider id.

Lifecycle: trialing → active → past_due (grace: access kept while payment is
retried) → canceled (paid up until the period ends) / expired.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import AuditEntry, CheckoutSession, Payment, Plan, Subscription

S = Subscription.Status


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


def _locked(subscription_id: int) -> Subscription:
    return Subscription.objects.select_for_update().select_related("plan").get(pk=subscription_id)


def _save(sub: Subscription) -> None:
    sub.full_clean(exclude=["user", "plan", "scheduled_plan"])
    sub.save()


def _source(actor) -> str:
    if actor is None:
        return "system"
    return "staff" if getattr(actor, "is_staff", False) else "reader"


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SubscriptionError({"reason": "A reason is required for this change."})
    return reason


def current_subscription_for(user, *, now: datetime | None = None) -> Subscription | None:
    """The reader's subscription that grants access now (the best plan), or None."""
    from .entitlements import current_subscriptions

    return (
        current_subscriptions(user, now=now)
        .select_related("plan", "scheduled_plan")
        .order_by("-plan__price_monthly", "-current_period_end")
        .first()
    )


def has_had_trial(user, plan: Plan) -> bool:
    return Subscription.objects.filter(user=user, plan=plan, trial_end__isnull=False).exists()


# --- Starting -------------------------------------------------------------------


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
    """Start a subscription: trialing when the plan has trial days the reader has not used."""
    trial = allow_trial and plan.trial_days > 0 and not has_had_trial(user, plan)
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
    _save(sub)
    audit(
        subscription=sub,
        user=user,
        actor=actor,
        source=_source(actor) if provider != "stripe" else "provider",
        action="start",
        reason=reason,
        after=sub.snapshot(),
        now=now,
    )
    return sub


# --- Checkout (provider-neutral) ----------------------------------------------------


def checkout_create(
    *, user, plan: Plan, billing_period: str, provider: str, now: datetime
) -> CheckoutSession:
    if not plan.is_active or plan_price(plan, billing_period) <= 0:
        raise SubscriptionError("This plan cannot be bought.")
    if billing_period not in Subscription.Period.values:
        raise SubscriptionError("Unknown billing period.")
    return CheckoutSession.objects.create(
        user=user,
        plan=plan,
        billing_period=billing_period,
        amount=plan_price(plan, billing_period),
        provider=provider,
        created_at=now,
    )


def checkout_complete(*, session_id, now: datetime, payment_id: str = "") -> CheckoutSession:
    """Turn a paid checkout into a subscription (and a payment). Safe to call twice."""
    with transaction.atomic():
        session = (
            CheckoutSession.objects.select_for_update().select_related("plan").get(pk=session_id)
        )
        if session.status == CheckoutSession.Status.COMPLETED:
            return session
        if session.status == CheckoutSession.Status.FAILED:
            raise SubscriptionError("This checkout failed; start a new one.")
        sub = subscription_start(
            user=session.user,
            plan=session.plan,
            billing_period=session.billing_period,
            now=now,
            actor=session.user,
            provider=session.provider,
        )
        if sub.status == S.ACTIVE:
            payment_record(
                user=session.user,
                subscription=sub,
                amount=session.amount,
                provider=session.provider,
                provider_payment_id=payment_id or f"checkout_{session.pk}",
                status=Payment.Status.SUCCEEDED,
                description=f"{session.plan.name} ({sub.get_billing_period_display()})",
                now=now,
            )
        session.status = CheckoutSession.Status.COMPLETED
        session.completed_at = now
        session.subscription = sub
        session.save(update_fields=["status", "completed_at", "subscription"])
    return session


def checkout_fail(*, session_id, now: datetime) -> CheckoutSession:
    with transaction.atomic():
        session = CheckoutSession.objects.select_for_update().get(pk=session_id)
        if session.status == CheckoutSession.Status.OPEN:
            session.status = CheckoutSession.Status.FAILED
            session.completed_at = now
            session.save(update_fields=["status", "completed_at"])
    return session


# --- Payments -----------------------------------------------------------------------

_PAYMENT_RANK = {
    Payment.Status.PENDING: 0,
    Payment.Status.FAILED: 1,
    Payment.Status.SUCCEEDED: 2,
    Payment.Status.REFUNDED: 3,
}


def payment_record(
    *,
    user,
    subscription: Subscription | None,
    amount: int,
    provider: str,
    provider_payment_id: str,
    status: str,
    description: str = "",
    now: datetime,
) -> Payment:
    """Record a provider's payment once; a later report may only move it forward.

    "failed" arriving after "succeeded" (out of order) leaves it succeeded.
    """
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(provider=provider, provider_payment_id=provider_payment_id)
            .first()
        )
        if payment is None:
            try:
                with transaction.atomic():
                    return Payment.objects.create(
                        user=user,
                        subscription=subscription,
                        amount=amount,
                        provider=provider,
                        provider_payment_id=provider_payment_id,
                        status=status,
                        description=description,
                        created_at=now,
                    )
            except IntegrityError:
                payment = Payment.objects.select_for_update().get(
                    provider=provider, provider_payment_id=provider_payment_id
                )
        if _PAYMENT_RANK[status] > _PAYMENT_RANK[payment.status]:
            payment.status = status
            payment.save(update_fields=["status", "updated_at"])
    return payment


def payment_refund(*, payment_id: int, actor, reason: str, now: datetime) -> Payment:
    """Refund a charge in full, once (staff only; the reason is required).

    Returns the refund payment. A second call returns the same refund.
    """
    from .billing import get_provider

    reason = _require_reason(reason)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        existing = Payment.objects.filter(refund_of=payment).first()
        if existing is not None:
            return existing
        if payment.kind != Payment.Kind.CHARGE or payment.status != Payment.Status.SUCCEEDED:
            raise SubscriptionError("Only a succeeded charge can be refunded.")
        refund_id = get_provider(payment.provider).refund(payment=payment)
        refund = Payment.objects.create(
            user=payment.user,
            subscription=payment.subscription,
            kind=Payment.Kind.REFUND,
            status=Payment.Status.SUCCEEDED,
            amount=payment.amount,
            provider=payment.provider,
            provider_payment_id=refund_id,
            refund_of=payment,
            description=f"Refund: {reason}"[:200],
            created_at=now,
        )
        payment.status = Payment.Status.REFUNDED
        payment.save(update_fields=["status", "updated_at"])
        audit(
            subscription=payment.subscription,
            user=payment.user,
            actor=actor,
            source="staff",
            action="refund",
            reason=reason,
            before={"payment": payment.pk, "status": "succeeded", "amount": payment.amount},
            after={"payment": payment.pk, "status": "refunded", "refund": refund.pk},
            now=now,
        )
    return refund


# --- Transitions ------------------------------------------------------------------


@dataclass
class _Change:
    sub: Subscription
    before: dict


def _begin(subscription_id: int) -> _Change:
    sub = _locked(subscription_id)
    return _Change(sub=sub, before=sub.snapshot())


def _finish(change: _Change, *, action, actor, reason, now, source=None) -> Subscription:
    _save(change.sub)
    audit(
        subscription=change.sub,
        user=change.sub.user,
        actor=actor,
        source=source or _source(actor),
        action=action,
        reason=reason,
        before=change.before,
        after=change.sub.snapshot(),
        now=now,
    )
    return change.sub


def subscription_renew(
    *, subscription_id: int, now: datetime, payment_id: str | None = None, actor=None
) -> Subscription:
    """A paid renewal: next period starts where the last ended; a scheduled downgrade applies.

    Idempotent per ``payment_id``: the same payment never extends twice.
    """
    with transaction.atomic():
        change = _begin(subscription_id)
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
        return _finish(change, action="renew", actor=actor, reason="", now=now)


def subscription_mark_past_due(
    *, subscription_id: int, now: datetime, payment_id: str = ""
) -> Subscription:
    """A renewal payment failed: keep access through the grace period while it is retried."""
    with transaction.atomic():
        change = _begin(subscription_id)
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
        return _finish(change, action="past_due", actor=None, reason="payment failed", now=now)


def subscription_cancel(
    *,
    subscription_id: int,
    actor,
    now: datetime,
    reason: str = "",
    immediately: bool = False,
) -> Subscription:
    """Cancel. Readers cancel at period end (access kept, can resume); staff may end it now."""
    from .billing import get_provider

    if actor is not None and getattr(actor, "is_staff", False):
        reason = _require_reason(reason)
    with transaction.atomic():
        change = _begin(subscription_id)
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
        return _finish(change, action=action, actor=actor, reason=reason, now=now)


def subscription_resume(*, subscription_id: int, actor, now: datetime) -> Subscription:
    """Undo a cancel-at-period-end while the period still runs."""
    from .billing import get_provider

    with transaction.atomic():
        change = _begin(subscription_id)
        sub = change.sub
        if not sub.cancel_at_period_end and sub.status != S.CANCELED:
            return sub
        if sub.current_period_end <= now or sub.status == S.EXPIRED:
            raise SubscriptionError("This subscription has ended; subscribe again instead.")
        sub.cancel_at_period_end = False
        sub.canceled_at = None
        if sub.status == S.CANCELED:
            sub.status = S.ACTIVE
        get_provider(sub.provider).resume(subscription=sub)
        return _finish(change, action="resume", actor=actor, reason="", now=now)


def subscription_change_plan(
    *, subscription_id: int, plan: Plan, actor, now: datetime
) -> Subscription:
    """Upgrade at once (charging the unused part of the difference); downgrade at period end."""
    with transaction.atomic():
        change = _begin(subscription_id)
        sub = change.sub
        if not plan.is_active:
            raise SubscriptionError("This plan is not on sale.")
        if sub.status not in (S.TRIALING, S.ACTIVE) or sub.cancel_at_period_end:
            raise SubscriptionError("Only a running subscription can change plan.")
        if plan.pk == sub.plan_id:
            if sub.scheduled_plan_id:  # staying after all: drop the pending downgrade
                sub.scheduled_plan = None
                return _finish(change, action="keep_plan", actor=actor, reason="", now=now)
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
        return _finish(change, action=action, actor=actor, reason="", now=now)


def subscription_expire(*, subscription_id: int, now: datetime) -> Subscription:
    """End a subscription whose paid period (or grace period) is over."""
    with transaction.atomic():
        change = _begin(subscription_id)
        sub = change.sub
        if sub.status == S.EXPIRED or sub.grants_access(now):
            return sub
        if sub.status in (S.TRIALING, S.ACTIVE) and not sub.cancel_at_period_end:
            return sub  # due for renewal, not for expiry: the renewal task handles it
        sub.status = S.EXPIRED
        sub.grace_until = None
        return _finish(change, action="expire", actor=None, reason="", now=now)


# --- Staff --------------------------------------------------------------------------


def staff_comp(*, user, plan: Plan, days: int, actor, reason: str, now: datetime) -> Subscription:
    """Give a reader a plan free for ``days`` (no payment); audited with the reason."""
    reason = _require_reason(reason)
    if days <= 0:
        raise SubscriptionError({"days": "Give at least one day."})
    with transaction.atomic():
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
        _save(sub)
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
    reason = _require_reason(reason)
    if days <= 0:
        raise SubscriptionError({"days": "Extend by at least one day."})
    with transaction.atomic():
        change = _begin(subscription_id)
        sub = change.sub
        sub.current_period_end = max(sub.current_period_end, now) + timedelta(days=days)
        if sub.status in (S.EXPIRED, S.PAST_DUE):
            sub.status = S.CANCELED if sub.cancel_at_period_end else S.ACTIVE
            sub.grace_until = None
        return _finish(change, action="extend", actor=actor, reason=reason, now=now, source="staff")


def staff_cancel(
    *, subscription_id: int, actor, reason: str, now: datetime, immediately: bool = True
) -> Subscription:
    return subscription_cancel(
        subscription_id=subscription_id,
        actor=actor,
        reason=_require_reason(reason),
        now=now,
        immediately=immediately,
    )


# --- Provider snapshots (webhooks) ---------------------------------------------------


def subscription_apply_provider_snapshot(
    *, provider: str, snapshot: dict, event_time: datetime | None, now: datetime
) -> str:
    """Bring our subscription in line with the provider's view of it.

    ``event_time`` is when the provider produced the snapshot; an older one
    than the last applied is stale and ignored, so out-of-order deliveries end
    in the newest state. ``event_time=None`` is provisional (checkout
    completed): it creates the subscription if nothing did yet, and changes
    nothing otherwise. Returns "processed" or "ignored".
    """
    from django.contrib.auth import get_user_model

    status = snapshot.get("status")
    if not snapshot.get("id") or not status:
        return "ignored"
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update()
            .select_related("plan")
            .filter(provider=provider, provider_subscription_id=snapshot["id"])
            .first()
        )
        if sub is None:
            user = get_user_model().objects.filter(pk=snapshot.get("user_id") or 0).first()
            plan = Plan.objects.filter(code=snapshot.get("plan_code") or "").first()
            if user is None or plan is None:
                return "ignored"
            billing_period = snapshot.get("billing_period") or Subscription.Period.MONTH
            sub = Subscription(
                user=user,
                plan=plan,
                billing_period=billing_period,
                provider=provider,
                provider_subscription_id=snapshot["id"],
                provider_customer_id=snapshot.get("customer") or "",
                current_period_start=snapshot.get("period_start") or now,
                current_period_end=snapshot.get("period_end")
                or now + period_length(billing_period),
                created_at=now,
            )
            before: dict = {}
            action = "start"
            try:
                with transaction.atomic():
                    _apply_snapshot(sub, snapshot, event_time, now)
                    sub.save()
            except IntegrityError:  # a concurrent event created it: apply over that one
                return subscription_apply_provider_snapshot(
                    provider=provider, snapshot=snapshot, event_time=event_time, now=now
                )
        else:
            if event_time is None:
                return "ignored"
            if sub.provider_synced_at and event_time < sub.provider_synced_at:
                return "ignored"
            before = sub.snapshot()
            plan = Plan.objects.filter(code=snapshot.get("plan_code") or "").first()
            if plan is not None:
                sub.plan = plan
            _apply_snapshot(sub, snapshot, event_time, now)
            sub.save()
            action = "provider_sync"
            if before == sub.snapshot():
                return "processed"
        audit(
            subscription=sub,
            user=sub.user,
            actor=None,
            source="provider",
            action=action,
            reason=f"{provider} status {status}",
            before=before,
            after=sub.snapshot(),
            now=now,
        )
    return "processed"


def _apply_snapshot(sub: Subscription, snap: dict, event_time, now) -> None:
    status = snap["status"]
    if snap.get("period_start"):
        sub.current_period_start = snap["period_start"]
    if snap.get("period_end"):
        sub.current_period_end = snap["period_end"]
    sub.trial_end = snap.get("trial_end") or sub.trial_end
    sub.cancel_at_period_end = bool(snap.get("cancel_at_period_end"))
    if snap.get("customer"):
        sub.provider_customer_id = snap["customer"]
    if status == S.ACTIVE and sub.cancel_at_period_end:
        status = S.CANCELED  # ours: paid up until the period ends
        sub.canceled_at = sub.canceled_at or now
    if status == S.PAST_DUE:
        sub.grace_until = sub.grace_until or max(sub.current_period_end, now) + timedelta(
            days=settings.SUBSCRIPTION_GRACE_DAYS
        )
    else:
        sub.grace_until = None
    if status == S.EXPIRED:
        ended = snap.get("ended_at") or now
        sub.current_period_end = min(sub.current_period_end, ended)
        sub.canceled_at = sub.canceled_at or ended
    sub.status = status
    if event_time is not None:
        sub.provider_synced_at = event_time


def checkout_mark_completed(*, checkout_id, now: datetime) -> None:
    """A provider reported the checkout paid (the subscription comes from its snapshot)."""
    try:
        checkout_id = uuid.UUID(str(checkout_id))
    except ValueError:
        return
    CheckoutSession.objects.filter(pk=checkout_id, status=CheckoutSession.Status.OPEN).update(
        status=CheckoutSession.Status.COMPLETED, completed_at=now
    )
