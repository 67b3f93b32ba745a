from .rights import reader_rights


def reader_access(request):
    """``show_ads`` is False for readers entitled to ad-free, on every page.

    A staff preview renders for a hypothetical reader: it sets
    ``request.preview_show_ads``, which wins (the Jinja2 backend applies context
    processors after the view's context, so the view cannot override a key here).
    """
    rights = reader_rights(request)
    show_ads = getattr(request, "preview_show_ads", None)
    return {
        "reader_entitlements": rights.entitlements,
        "show_ads": rights.sees_ads if show_ads is None else show_ads,
    }
