"""Where a ``next=`` parameter may send a reader: only somewhere on this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, *, default: str, field: str = "next") -> str:
    """The ``next`` target (POST, then query string) when it stays on this site, else ``default``.

    Django's check already refuses other hosts, ``//host``, ``javascript:`` and
    the like. On top of it, control characters and backslashes are refused
    outright (browsers read ``/\\host`` as ``//host``), and the value returned
    is the one that was checked, stripped, so nothing differs between the
    check and the redirect.
    """
    target = (request.POST.get(field) or request.GET.get(field) or "").strip()
    if not target or "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
