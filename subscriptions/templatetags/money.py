"""``{{ amount|idr }}`` → "Rp65.000" (Indonesian thousands separator, no decimals)."""


def idr(amount) -> str:
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return ""
    return "Rp" + f"{value:,}".replace(",", ".")
