"""``{{ amount|idr }}`` → "Rp65.000" (Indonesian thousands separator, no decimals).

A Django template filter (the admin's article funnel panel loads ``money``)
and a Jinja2 filter (``website.jinja2env``): one function for both.
"""

from django import template

register = template.Library()


@register.filter
def idr(amount) -> str:
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return ""
    return "Rp" + f"{value:,}".replace(",", ".")
