"""Charges and refunds: each recorded once per provider id, refunded at most once."""

from datetime import datetime

from django.db import IntegrityError, transaction

from ..models import AuditEntry, Payment, Subscription
from .common import SubscriptionError, audit, require_reason

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


def _refund_at_provider(*, payment: Payment, provider, reason: str, now: datetime) -> Payment:
    """Give ``payment`` (a locked, succeeded charge) back at its provider; record the refund."""
    refund_id = provider.refund(payment=payment)
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
    return refund


def payment_refund(*, payment_id: int, actor, reason: str, now: datetime) -> Payment:
    """Refund a charge in full, once (staff only; the reason is required).

    Returns the refund payment. A second call returns the same refund.
    """
    from ..billing import get_provider

    reason = require_reason(reason)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        existing = Payment.objects.filter(refund_of=payment).first()
        if existing is not None:
            return existing
        if payment.kind != Payment.Kind.CHARGE or payment.status != Payment.Status.SUCCEEDED:
            raise SubscriptionError("Only a succeeded charge can be refunded.")
        provider = get_provider(payment.provider)
        if not provider.supports_refunds:
            raise SubscriptionError("This payment provider cannot refund; settle it by hand.")
        refund = _refund_at_provider(payment=payment, provider=provider, reason=reason, now=now)
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


def payment_settle_duplicate(*, payment_id: int, reason: str, now: datetime) -> Payment:
    """Give back a charge for a subscription the reader already had running. Once.

    Money moves once: a second checkout paid in another tab, or a provider
    subscription started while one was running, is refunded in full at the
    provider, by the system, and audited (``refund_duplicate``). A provider
    that cannot refund leaves the charge for staff, flagged in the audit trail
    (``duplicate_unrefunded``) so it is never silently kept. Returns the refund
    (or the charge, when it could not be refunded).
    """
    from ..billing import get_provider

    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        existing = Payment.objects.filter(refund_of=payment).first()
        if existing is not None:
            return existing
        if payment.kind != Payment.Kind.CHARGE or payment.status != Payment.Status.SUCCEEDED:
            return payment  # nothing was taken (failed, pending) or it is already settled
        before = {"payment": payment.pk, "status": "succeeded", "amount": payment.amount}
        provider = get_provider(payment.provider)
        if not provider.supports_refunds:
            if not AuditEntry.objects.filter(
                action="duplicate_unrefunded", user=payment.user, after__payment=payment.pk
            ).exists():
                audit(
                    subscription=payment.subscription,
                    user=payment.user,
                    action="duplicate_unrefunded",
                    reason=f"{reason} {payment.provider} cannot refund: refund it by hand.",
                    before=before,
                    after={**before, "needs": "refund"},
                    now=now,
                )
            return payment
        refund = _refund_at_provider(payment=payment, provider=provider, reason=reason, now=now)
        audit(
            subscription=payment.subscription,
            user=payment.user,
            action="refund_duplicate",
            reason=reason,
            before=before,
            after={"payment": payment.pk, "status": "refunded", "refund": refund.pk},
            now=now,
        )
    return refund
