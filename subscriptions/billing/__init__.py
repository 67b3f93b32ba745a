"""Payment providers behind one interface (``base.PaymentProvider``).

``demo``: a local checkout page that completes or fails on a click.
``stripe``: Stripe Checkout, the customer portal and signed webhooks.
``comp``: staff gifts; nothing to charge, cancel or refund at a provider.
"""

from django.conf import settings

from .base import PaymentProvider, ProviderEvent, WebhookSignatureError


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called ``name`` (default: ``settings.PAYMENT_PROVIDER``)."""
    from .demo import CompProvider, DemoProvider
    from .stripe import StripeProvider

    providers = {"demo": DemoProvider, "stripe": StripeProvider, "comp": CompProvider}
    name = name or settings.PAYMENT_PROVIDER
    try:
        return providers[name]()
    except KeyError:
        raise LookupError(f"unknown payment provider {name!r}") from None


__all__ = ["PaymentProvider", "ProviderEvent", "WebhookSignatureError", "get_provider"]
