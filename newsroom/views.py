from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .health import run_checks


@never_cache
def healthz(request):
    """200 while the database answers; 503 with the reason when it does not.

    The broker, cache and any other checks are reported but do not fail the
    probe: the site can still serve readers without them.
    """
    checks = run_checks()
    database_ok = next(c.ok for c in checks if c.name == "database")
    body = {
        "status": "ok" if database_ok else "unavailable",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JsonResponse(body, status=200 if database_ok else 503)
