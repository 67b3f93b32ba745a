"""The paywall's rules: allowances, the meter period and the teaser length.

Today they come from settings (``PAYWALL_METER_ANONYMOUS``,
``PAYWALL_METER_REGISTERED``, ``PAYWALL_TEASER_BLOCKS``); the policy reads
them only through ``current_rules()``, so making them versioned data changes
this module and nothing that asks the policy.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class PaywallRules:
    anonymous_allowance: int
    registered_allowance: int
    teaser_blocks: int
    version: str = "settings"

    def allowance_for(self, *, authenticated: bool) -> int:
        return self.registered_allowance if authenticated else self.anonymous_allowance


def current_rules() -> PaywallRules:
    return PaywallRules(
        anonymous_allowance=settings.PAYWALL_METER_ANONYMOUS,
        registered_allowance=settings.PAYWALL_METER_REGISTERED,
        teaser_blocks=getattr(settings, "PAYWALL_TEASER_BLOCKS", 2),
    )
