"""The paywall's rules: allowances, the meter period, the teaser length, and
what readers who never return the meter cookie get.

Today they come from settings (``PAYWALL_METER_ANONYMOUS``,
``PAYWALL_METER_REGISTERED``, ``PAYWALL_TEASER_BLOCKS``); the policy reads
them only through ``current_rules()``, so making them versioned data changes
this module and nothing that asks the policy.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models


class Cookieless(models.TextChoices):
    """What a reader whose browser never returns the meter cookie gets.

    Such a client looks like a new visitor on every request, so each metered
    article would be its "first" read. The options, and their cost:

    ``network`` (default): new meter ids are counted per network (the client
        address; an IPv6 /64) per day in the cache; past
        ``network_allowance`` a new id starts the month with nothing left.
        Honest readers are never affected unless thousands of new visitors
        share one address in a day: Indonesian mobile carriers put many
        subscribers behind one carrier-grade NAT address, so the allowance is
        high, and a blocked newcomer can still register for the registered
        allowance.
    ``teaser``: a visitor without the cookie gets the teaser and the cookie;
        the full text comes with the next request that returns it (one extra
        click for every genuinely new reader).
    ``free``: no defence: cookie-less clients read every metered article.
    """

    NETWORK = "network"
    TEASER = "teaser"
    FREE = "free"


@dataclass(frozen=True)
class PaywallRules:
    anonymous_allowance: int
    registered_allowance: int
    teaser_blocks: int
    cookieless: Cookieless = Cookieless.NETWORK
    network_allowance: int = 1000  # new meter ids per network per day
    version: str = "settings"

    def allowance_for(self, *, authenticated: bool) -> int:
        return self.registered_allowance if authenticated else self.anonymous_allowance


def current_rules() -> PaywallRules:
    return PaywallRules(
        anonymous_allowance=settings.PAYWALL_METER_ANONYMOUS,
        registered_allowance=settings.PAYWALL_METER_REGISTERED,
        teaser_blocks=getattr(settings, "PAYWALL_TEASER_BLOCKS", 2),
        cookieless=Cookieless(getattr(settings, "PAYWALL_COOKIELESS", Cookieless.NETWORK)),
        network_allowance=getattr(settings, "PAYWALL_NETWORK_NEW_METERS", 1000),
    )
