"""Stripe: Checkout for sign-up, the customer portal, and signed webhooks.

Webhooks are verified with the stripe library against the raw request body
(``Stripe-Signature``, 300 s tolerance) before anything is stored. State is
taken from subscription snapshots (``customer.subscription.*``), applied only
when newer than the last one applied, so events arriving out of order end in
the provider's latest state; invoices become payments, recorded once.
"""

import json
import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings

from .base import PaymentProvider, ProviderEvent, WebhookSignatureError

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300

# Stripe status -> ours. Stripe's "canceled" means the subscription has ended.
STATUS_MAP = {
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "canceled": "expired",
    "incomplete_expired": "expired",
    "paused": "expired",
}


class RetryLater(Exception):
    """The event refers to something not stored yet; processing is retried."""


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _subscription_id(invoice: dict) -> str:
    """Where an invoice names its subscription (moved in newer API versions)."""
    if isinstance(invoice.get("subscription"), str):
        return invoice["subscription"]
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return details.get("subscription") or ""


class StripeProvider(PaymentProvider):
    name = "stripe"
    supports_portal = True
    supports_refunds = True
    reports_by_webhook = True

    def _client_ready(self) -> bool:
        if not settings.STRIPE_SECRET_KEY:
            logger.warning("STRIPE_SECRET_KEY is not set; not calling Stripe")
            return False
        return True

    # --- Outgoing calls (network; never made in tests) -------------------------

    def start_checkout(self, *, session, success_url: str, cancel_url: str) -> str:
        if not self._client_ready():
            raise RuntimeError("Stripe is not configured (STRIPE_SECRET_KEY).")
        interval = "year" if session.billing_period == "year" else "month"
        metadata = {
            "user_id": str(session.user_id),
            "plan_code": session.plan.code,
            "billing_period": session.billing_period,
            "checkout_id": str(session.pk),
        }
        created = stripe.checkout.Session.create(
            api_key=settings.STRIPE_SECRET_KEY,
            mode="subscription",
            customer_email=session.user.email or None,
            client_reference_id=str(session.pk),
            line_items=[
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "idr",
                        # IDR is a two-decimal currency at Stripe: amounts in sen.
                        "unit_amount": session.amount * 100,
                        "recurring": {"interval": interval},
                        "product_data": {"name": session.plan.name},
                    },
                }
            ],
            subscription_data={"metadata": metadata},
            metadata=metadata,
            success_url=success_url,
            cancel_url=cancel_url,
        )
        session.provider_session_id = created.id
        session.save(update_fields=["provider_session_id"])
        return created.url

    def resume_checkout(self, *, session) -> str | None:
        if not session.provider_session_id or not self._client_ready():
            return None
        started = stripe.checkout.Session.retrieve(
            session.provider_session_id, api_key=settings.STRIPE_SECRET_KEY
        )
        return started.url if started.get("status") == "open" else None

    def portal_url(self, *, subscription, return_url: str) -> str | None:
        if not subscription.provider_customer_id or not self._client_ready():
            return None
        portal = stripe.billing_portal.Session.create(
            api_key=settings.STRIPE_SECRET_KEY,
            customer=subscription.provider_customer_id,
            return_url=return_url,
        )
        return portal.url

    def cancel(self, *, subscription, immediately: bool) -> None:
        if not subscription.provider_subscription_id or not self._client_ready():
            return
        if immediately:
            stripe.Subscription.cancel(
                subscription.provider_subscription_id, api_key=settings.STRIPE_SECRET_KEY
            )
        else:
            stripe.Subscription.modify(
                subscription.provider_subscription_id,
                cancel_at_period_end=True,
                api_key=settings.STRIPE_SECRET_KEY,
            )

    def resume(self, *, subscription) -> None:
        if not subscription.provider_subscription_id or not self._client_ready():
            return
        stripe.Subscription.modify(
            subscription.provider_subscription_id,
            cancel_at_period_end=False,
            api_key=settings.STRIPE_SECRET_KEY,
        )

    def refund(self, *, payment) -> str:
        if not self._client_ready():
            raise RuntimeError("Stripe is not configured (STRIPE_SECRET_KEY).")
        invoice = stripe.Invoice.retrieve(
            payment.provider_payment_id, api_key=settings.STRIPE_SECRET_KEY
        )
        refund = stripe.Refund.create(
            payment_intent=invoice.get("payment_intent"), api_key=settings.STRIPE_SECRET_KEY
        )
        return refund.id

    # --- Webhooks -----------------------------------------------------------------

    def parse_webhook(self, *, payload: bytes, headers) -> ProviderEvent:
        signature = headers.get("Stripe-Signature")
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not signature:
            raise WebhookSignatureError("missing Stripe-Signature header")
        if not secret:
            raise WebhookSignatureError("STRIPE_WEBHOOK_SECRET is not configured")
        try:
            stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
            data = json.loads(payload)
        except (ValueError, TypeError, AttributeError, stripe.SignatureVerificationError) as exc:
            # TypeError/AttributeError: a correctly signed body that is not a JSON
            # object (the library assumes one) must be a 400, not a 500.
            raise WebhookSignatureError(str(exc) or "invalid signature") from exc
        if not isinstance(data, dict) or not data.get("id") or not data.get("type"):
            raise WebhookSignatureError("not a Stripe event")
        return ProviderEvent(
            id=str(data["id"]),
            type=str(data["type"]),
            created=_ts(data.get("created")) or datetime.now(tz=UTC),
            payload=data,
        )

    def handle_event(self, event, *, now: datetime) -> str:
        from ..services.provider_sync import subscription_apply_provider_snapshot

        obj = (event.payload.get("data") or {}).get("object") or {}
        kind = event.type
        user_id = str((obj.get("metadata") or {}).get("user_id") or "")
        if user_id.isdigit():
            event.user_id = int(user_id)  # shown on the subscriber's admin page
        if kind == "checkout.session.completed":
            return self._checkout_completed(obj, event, now=now)
        if kind.startswith("customer.subscription."):
            return subscription_apply_provider_snapshot(
                provider=self.name, snapshot=self._snapshot(obj), event_time=event.created, now=now
            )
        if kind in ("invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"):
            return self._invoice(obj, failed=kind == "invoice.payment_failed", now=now)
        return "ignored"

    def _snapshot(self, obj: dict) -> dict:
        items = ((obj.get("items") or {}).get("data")) or [{}]
        item = items[0] or {}
        price = item.get("price") or {}
        metadata = obj.get("metadata") or {}
        status = STATUS_MAP.get(obj.get("status", ""), "")
        return {
            "id": obj.get("id", ""),
            "customer": obj.get("customer") or "",
            "user_id": metadata.get("user_id"),
            "plan_code": price.get("lookup_key") or metadata.get("plan_code"),
            "billing_period": "year"
            if (price.get("recurring") or {}).get("interval") == "year"
            else metadata.get("billing_period") or "month",
            "status": status,
            "cancel_at_period_end": bool(obj.get("cancel_at_period_end")),
            "period_start": _ts(
                obj.get("current_period_start") or item.get("current_period_start")
            ),
            "period_end": _ts(obj.get("current_period_end") or item.get("current_period_end")),
            "trial_end": _ts(obj.get("trial_end")),
            "ended_at": _ts(obj.get("ended_at")),
        }

    def _checkout_completed(self, obj: dict, event, *, now: datetime) -> str:
        from ..models import Subscription
        from ..services.checkout import checkout_mark_completed
        from ..services.provider_sync import subscription_apply_provider_snapshot

        metadata = obj.get("metadata") or {}
        snapshot = {
            "id": obj.get("subscription") or "",
            "customer": obj.get("customer") or "",
            "user_id": metadata.get("user_id"),
            "plan_code": metadata.get("plan_code"),
            "billing_period": metadata.get("billing_period") or "month",
            "status": "active",
            "cancel_at_period_end": False,
            "period_start": None,
            "period_end": None,
            "trial_end": None,
            "ended_at": None,
        }
        if not snapshot["id"]:
            return "ignored"
        # Only creates the subscription if no snapshot got here first; a
        # snapshot always wins over this provisional state.
        result = subscription_apply_provider_snapshot(
            provider=self.name, snapshot=snapshot, event_time=None, now=now
        )
        checkout_id = obj.get("client_reference_id") or metadata.get("checkout_id")
        if checkout_id:
            made = Subscription.objects.filter(
                provider=self.name, provider_subscription_id=snapshot["id"]
            ).first()
            checkout_mark_completed(checkout_id=checkout_id, now=now, subscription=made)
        return result

    def _invoice(self, obj: dict, *, failed: bool, now: datetime) -> str:
        from ..models import Payment, Subscription
        from ..services.payments import payment_record, payment_settle_duplicate

        sub_id = _subscription_id(obj)
        if not sub_id:
            return "ignored"
        sub = Subscription.objects.filter(
            provider=self.name, provider_subscription_id=sub_id
        ).first()
        if sub is None:
            raise RetryLater(f"subscription {sub_id} not known yet")
        amount = int(obj.get("amount_paid") or obj.get("amount_due") or 0) // 100
        payment = payment_record(
            user=sub.user,
            subscription=sub,
            amount=amount,
            provider=self.name,
            provider_payment_id=str(obj.get("id")),
            status=Payment.Status.FAILED if failed else Payment.Status.SUCCEEDED,
            description=f"{sub.plan.name} invoice",
            now=now,
        )
        if sub.duplicate_of_id is not None:
            # A subscription we refused (the reader had one running): money goes back.
            payment_settle_duplicate(
                payment_id=payment.pk,
                reason=(
                    f"Stripe subscription {sub.provider_subscription_id} started while "
                    f"#{sub.duplicate_of_id} was running."
                ),
                now=now,
            )
        return "processed"
