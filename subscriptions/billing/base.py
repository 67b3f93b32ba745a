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
    """What the subscription services need from a payment provider."""

    name = "base"

    def start_checkout(self, *, session, success_url: str, cancel_url: str) -> str:
        """Prepare ``session`` (a ``CheckoutSession``) and return the URL to send the reader to."""
        raise NotImplementedError

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
