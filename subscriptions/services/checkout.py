"""Checkout, provider-neutral: a reader on the way to paying for a plan."""

import uuid
from datetime import datetime

from django.db import transaction

from ..models import CheckoutSession, Payment, Plan, Subscription
from .common import SubscriptionError, plan_price
from .lifecycle import subscription_start
from .payments import payment_record

S = Subscription.Status


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


def checkout_mark_completed(*, checkout_id, now: datetime) -> None:
    """A provider reported the checkout paid (the subscription comes from its snapshot)."""
    try:
        checkout_id = uuid.UUID(str(checkout_id))
    except ValueError:
        return
    CheckoutSession.objects.filter(pk=checkout_id, status=CheckoutSession.Status.OPEN).update(
        status=CheckoutSession.Status.COMPLETED, completed_at=now
    )
