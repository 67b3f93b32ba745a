"""The payment provider interface."""

from dataclasses import dataclass
from datetime import datetime


class WebhookSignatureError(Exception):
    """The webhook's signature is missing, wrong or too old: reject it, change nothing."""


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event, in the shape the event store keeps."""

    id: str
    type: str
    created: datetime
    payload: dict


class PaymentProvider:
    """What the subscription services need from a payment provider.

    Callers never branch on a provider's name: they ask its capabilities.
    """

    name = "base"

    # --- Capabilities ---------------------------------------------------------------
    #: Our own page takes the payment (the demo page), not the provider's site.
    checkout_on_site = False
    #: ``portal_url`` can send the reader to a page to manage payment details.
    supports_portal = False
    #: ``refund`` gives a charge back at the provider.
    supports_refunds = False
    #: Our renewal task charges each period; otherwise the provider renews on its
    #: side and tells us by webhook (or, for a gift, nothing renews).
    charges_renewals_here = False
    #: The provider holds the subscription's truth and reports changes by webhook.
    reports_by_webhook = False
    #: The reader may cancel, resume and change plan from the account page.
    reader_managed = True

    def start_checkout(self, *, session, success_url: str, cancel_url: str) -> str:
        """Prepare ``session`` (a ``CheckoutSession``) and return the URL to send the reader to."""
        raise NotImplementedError

    def resume_checkout(self, *, session) -> str | None:
        """Where to pay ``session`` again (already started), or None if it can no longer be paid."""
        return None

    def portal_url(self, *, subscription, return_url: str) -> str | None:
        """Where the reader manages payment details, when the provider has such a page."""
        return None

    def parse_webhook(self, *, payload: bytes, headers) -> ProviderEvent:
        """Verify the raw body against its signature; raise ``WebhookSignatureError`` if not."""
        raise WebhookSignatureError(f"{self.name} does not send webhooks")

    def handle_event(self, event, *, now: datetime) -> str:
        """Apply a stored event; return "processed" or "ignored". Raise to retry later."""
        return "ignored"

    def cancel(self, *, subscription, immediately: bool) -> None:
        """Tell the provider to stop charging (at period end, or now)."""

    def resume(self, *, subscription) -> None:
        """Tell the provider to keep charging after a cancel-at-period-end."""

    def refund(self, *, payment) -> str:
        """Refund ``payment`` in full at the provider; return the refund's provider id."""
        raise NotImplementedError
