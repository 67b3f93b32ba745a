from .entitlements import entitlements_for
from .plans import AD_FREE


def reader_access(request):
    """``show_ads`` is False for readers entitled to ad-free, on every page."""
    user = getattr(request, "user", None)
    entitlements = entitlements_for(user) if user is not None else frozenset()
    return {"reader_entitlements": entitlements, "show_ads": AD_FREE not in entitlements}
