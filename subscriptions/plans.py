"""Entitlements: what a plan lets a reader do. Plain data, named once."""

AD_FREE = "ad_free"
PREMIUM_CONTENT = "premium_content"
EPAPER = "epaper"

ALL_ENTITLEMENTS = (AD_FREE, PREMIUM_CONTENT, EPAPER)
