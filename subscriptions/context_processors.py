from .rights import reader_rights


def reader_access(request):
    """``show_ads`` is False for readers entitled to ad-free, on every page
    (a view may set its own: the staff preview's hypothetical reader)."""
    rights = reader_rights(request)
    return {"reader_entitlements": rights.entitlements, "show_ads": rights.sees_ads}
