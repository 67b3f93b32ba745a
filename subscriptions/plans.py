"""Entitlements: what a plan lets a reader do. Plain data, named once."""

from paywall.rights import AD_FREE, ALL_ENTITLEMENTS, EPAPER, PREMIUM_CONTENT

__all__ = ["AD_FREE", "ALL_ENTITLEMENTS", "EPAPER", "PREMIUM_CONTENT"]
