"""Site-wide middleware."""

import re
import uuid

from django.conf import settings

from .logging import request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Tag the request (and its log lines) with an id; echo it as X-Request-ID.

    An id sent by a trusted proxy is kept when it looks like an id, so a line
    in the proxy's log can be matched with ours; anything else is replaced.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


# The reader site runs no inline script; the admin (in every language: /admin/,
# /en/admin/) and the API docs page (Swagger UI) are left to their own defaults.
# The admin's body editor needs its inline import map.
CSP_EXEMPT_PREFIXES = ("/admin/", "/api/v1/docs")
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy and Permissions-Policy on reader pages."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.exempt = CSP_EXEMPT_PREFIXES + tuple(
            f"/{code}/admin/" for code, _name in settings.LANGUAGES
        )

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(self.exempt):
            response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class DatabaseUnavailableMiddleware:
    """A lost database becomes a 503 page with Retry-After, never a stack trace."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from .errors import DATABASE_ERRORS, database_unavailable_response

        if not isinstance(exception, DATABASE_ERRORS):
            return None
        return database_unavailable_response(request, exception)
