"""The demo provider: a local checkout page that completes or fails on a click."""

from django.urls import reverse

from .base import PaymentProvider


class DemoProvider(PaymentProvider):
    """Payments that never leave the server: for the demo and the tests.

    Checkout shows our own page (``subscriptions:demo_checkout``) whose
    buttons call ``services.checkout.checkout_complete`` / ``checkout_fail``; renewals
    always succeed (the renewal task charges them).
    """

    name = "demo"

    def start_checkout(self, *, session, success_url: str, cancel_url: str) -> str:
        session.provider_session_id = f"demo_{session.pk}"
        session.save(update_fields=["provider_session_id"])
        return reverse("subscriptions:demo_checkout", args=[session.pk])

    def refund(self, *, payment) -> str:
        return f"demo_refund_{payment.pk}"


class CompProvider(PaymentProvider):
    """Staff gifts: no money moves."""

    name = "comp"

    def refund(self, *, payment) -> str:
        return f"comp_refund_{payment.pk}"
