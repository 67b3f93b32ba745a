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
    checkout_on_site = True
    supports_refunds = True
    charges_renewals_here = True

    def start_checkout(self, *, session, success_url: str, cancel_url: str) -> str:
        session.provider_session_id = f"demo_{session.pk}"
        session.save(update_fields=["provider_session_id"])
        return reverse("subscriptions:demo_checkout", args=[session.pk])

    def resume_checkout(self, *, session) -> str | None:
        return reverse("subscriptions:demo_checkout", args=[session.pk])

    def refund(self, *, payment) -> str:
        return f"demo_refund_{payment.pk}"


class CompProvider(PaymentProvider):
    """Staff gifts: no money moves, nothing renews, and only staff change them."""

    name = "comp"
    reader_managed = False
