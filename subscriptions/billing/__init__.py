"""Payment providers behind one interface (``base.PaymentProvider``).

``demo``: a local checkout page that completes or fails on a click.
``stripe``: Stripe Checkout, the customer portal and signed webhooks.
``comp``: staff gifts; nothing to charge, cancel or refund at a provider.
"""

from django.conf import settings

from .base import PaymentProvider, ProviderEvent, WebhookSignatureError


def registry() -> dict[str, type[PaymentProvider]]:
    """Every provider class by name (imported late: Stripe's library is heavy)."""
    from .demo import CompProvider, DemoProvider
    from .stripe import StripeProvider

    return {cls.name: cls for cls in (DemoProvider, StripeProvider, CompProvider)}


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called ``name`` (default: ``settings.PAYMENT_PROVIDER``)."""
    name = name or settings.PAYMENT_PROVIDER
    try:
        return registry()[name]()
    except KeyError:
        raise LookupError(f"unknown payment provider {name!r}") from None


def providers_that(capability: str) -> list[str]:
    """Names of the providers with ``capability`` (a ``PaymentProvider`` flag), for queries."""
    if not isinstance(getattr(PaymentProvider, capability, None), bool):
        raise AttributeError(f"not a provider capability: {capability!r}")
    return sorted(name for name, cls in registry().items() if getattr(cls, capability))


__all__ = [
    "PaymentProvider",
    "ProviderEvent",
    "WebhookSignatureError",
    "get_provider",
    "providers_that",
    "registry",
]
