"""Checkout, provider-neutral: a reader on the way to paying for a plan.

One reader, one running subscription (``models.RUNNING_STATUSES``): opening a
checkout while one runs is refused (``AlreadySubscribed``: the reader goes to
their account page, where changing plan is its own flow); opening a second
checkout for the same plan while one is open hands back the open one; and a
checkout paid anyway while a subscription runs (another tab, another device)
starts nothing and its charge is refunded. Each of these runs under the
reader's row lock, so two requests at the same moment cannot both get through.
"""

import uuid
from datetime import datetime

from django.db import transaction

from paywall import funnel

from ..models import CheckoutSession, Payment, Plan, Subscription
from .common import AlreadySubscribed, SubscriptionError, lock_reader, plan_price
from .lifecycle import running_subscription_for, subscription_start, will_trial
from .payments import payment_record, payment_settle_duplicate

S = Subscription.Status
C = CheckoutSession.Status


def checkout_open(
    *, user, plan: Plan, billing_period: str, provider: str, now: datetime
) -> CheckoutSession:
    """The reader's open checkout for this plan, period and price, or a new one.

    Raises ``AlreadySubscribed`` when a subscription already runs. Another open
    checkout (a different plan or period, or an old price) is abandoned: it
    can no longer complete here, and if its provider takes the money anyway,
    ``checkout_complete`` or the provider's webhook gives it back.
    """
    if not plan.is_active or plan_price(plan, billing_period) <= 0:
        raise SubscriptionError("This plan cannot be bought.")
    if billing_period not in Subscription.Period.values:
        raise SubscriptionError("Unknown billing period.")
    amount = plan_price(plan, billing_period)
    with transaction.atomic():
        lock_reader(user.pk)
        running = running_subscription_for(user, now=now)
        if running is not None:
            raise AlreadySubscribed(running)
        resumed = None
        for session in CheckoutSession.objects.select_for_update().filter(user=user, status=C.OPEN):
            same = (session.plan_id, session.billing_period, session.amount, session.provider) == (
                plan.pk,
                billing_period,
                amount,
                provider,
            )
            if same and resumed is None:
                resumed = session
            else:
                session.status = C.FAILED
                session.completed_at = now
                session.save(update_fields=["status", "completed_at"])
        if resumed is not None:
            return resumed
        session = CheckoutSession.objects.create(
            user=user,
            plan=plan,
            billing_period=billing_period,
            amount=amount,
            provider=provider,
            created_at=now,
        )
        user_id = user.pk
        transaction.on_commit(
            lambda: funnel.record_for_account(
                funnel.Event.CHECKOUT_STARTED, user_id=user_id, amount_idr=amount, at=now
            )
        )
        return session


def checkout_redirect_url(*, session: CheckoutSession, success_url: str, cancel_url: str) -> str:
    """Where the reader pays ``session``: its started checkout if that can still be paid,
    else a new one at the provider."""
    from ..billing import get_provider

    provider = get_provider(session.provider)
    if session.provider_session_id:
        url = provider.resume_checkout(session=session)
        if url:
            return url
    return provider.start_checkout(session=session, success_url=success_url, cancel_url=cancel_url)


def checkout_complete(*, session_id, now: datetime, payment_id: str = "") -> CheckoutSession:
    """Turn a paid checkout into a subscription (and a payment). Safe to call twice.

    If the reader already has a running subscription, nothing starts: a charge
    is recorded against the running one and refunded (``payment_settle_duplicate``),
    and the checkout ends ``duplicate``.
    """
    user_id = CheckoutSession.objects.values_list("user_id", flat=True).get(pk=session_id)
    with transaction.atomic():
        lock_reader(user_id)
        session = (
            CheckoutSession.objects.select_for_update()
            .select_related("plan", "user")
            .get(pk=session_id)
        )
        if session.status in (C.COMPLETED, C.DUPLICATE):
            return session
        if session.status == C.FAILED:
            raise SubscriptionError("This checkout failed; start a new one.")
        provider_payment_id = payment_id or f"checkout_{session.pk}"
        running = running_subscription_for(session.user, now=now)
        if running is not None:
            _settle_second_checkout(session, running, provider_payment_id, now=now)
        else:
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
                    provider_payment_id=provider_payment_id,
                    status=Payment.Status.SUCCEEDED,
                    description=f"{session.plan.name} ({sub.get_billing_period_display()})",
                    now=now,
                )
            session.status = C.COMPLETED
            session.subscription = sub
        session.completed_at = now
        session.save(update_fields=["status", "completed_at", "subscription"])
    return session


def _settle_second_checkout(session, running: Subscription, payment_id: str, *, now) -> None:
    """A checkout paid while ``running`` runs: no second subscription; money back."""
    if not will_trial(session.user, session.plan):  # a trial would have charged nothing
        charge = payment_record(
            user=session.user,
            subscription=running,
            amount=session.amount,
            provider=session.provider,
            provider_payment_id=payment_id,
            status=Payment.Status.SUCCEEDED,
            description=f"{session.plan.name}: second checkout",
            now=now,
        )
        payment_settle_duplicate(
            payment_id=charge.pk,
            reason=(
                f"Checkout {session.pk} for {session.plan.code} paid while subscription "
                f"{running.pk} ({running.plan.code}) was running."
            ),
            now=now,
        )
    session.status = C.DUPLICATE
    session.subscription = running


def checkout_fail(*, session_id, now: datetime) -> CheckoutSession:
    with transaction.atomic():
        session = CheckoutSession.objects.select_for_update().get(pk=session_id)
        if session.status == C.OPEN:
            session.status = C.FAILED
            session.completed_at = now
            session.save(update_fields=["status", "completed_at"])
    return session


def checkout_mark_completed(
    *, checkout_id, now: datetime, subscription: Subscription | None = None
) -> None:
    """A provider reported the checkout paid (the subscription comes from its snapshot).

    ``subscription`` is the one the provider's checkout made, if known: one we
    refused as a second running subscription marks the checkout ``duplicate``.
    """
    try:
        checkout_id = uuid.UUID(str(checkout_id))
    except ValueError:
        return
    refused = subscription is not None and subscription.duplicate_of_id is not None
    if refused:
        status, subscription_id = C.DUPLICATE, subscription.duplicate_of_id
    else:
        status, subscription_id = C.COMPLETED, subscription.pk if subscription else None
    CheckoutSession.objects.filter(pk=checkout_id, status=C.OPEN).update(
        status=status, completed_at=now, subscription_id=subscription_id
    )
