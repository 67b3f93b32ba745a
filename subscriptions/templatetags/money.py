"""``{{ amount|idr }}`` → "Rp65.000" (Indonesian thousands separator, no decimals)."""

from django import template

register = template.Library()


@register.filter
def idr(amount) -> str:
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return ""
    return "Rp" + f"{value:,}".replace(",", ".")
