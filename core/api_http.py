"""The HTTP behaviour every API response shares.

- One error shape, ``{"error": {"code", "message", "details"}}``, for every
  4xx and 5xx, including ninja's validation errors, unknown paths and wrong
  methods (which Django and ninja would otherwise answer in HTML or text).
- Conditional GET: a strong ETag over the response body, 304 on a match.
  The body already differs by what the reader may see, so the tag does too.
- Cache-Control: ``public`` only for a response a handler marked shareable
  and an anonymous caller; everything else ``private``.
"""

import hashlib
import logging
from datetime import datetime
from functools import wraps

import orjson
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)

PUBLIC_MAX_AGE = 60

ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


class ApiError(HttpError):
    """An error a handler raises with its own code (``version_conflict``, …)."""

    def __init__(self, status_code: int, code: str, message: str, details=None):
        super().__init__(status_code, message)
        self.code = code
        self.details = details


def error_payload(*, code: str, message: str, details=None) -> dict:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(*, status: int, code: str | None = None, message: str, details=None):
    code = code or ERROR_CODES.get(status, "error")
    return JsonResponse(error_payload(code=code, message=message, details=details), status=status)


# --- payloads built without the schemas ------------------------------------------


def api_datetime(moment: datetime | None) -> str | None:
    """A datetime as the schemas' JSON writes it (Django's ``DjangoJSONEncoder``:
    milliseconds, ``Z`` for UTC), for payloads built from ``.values()`` rows."""
    if moment is None:
        return None
    text = moment.isoformat()
    if moment.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text.removesuffix("+00:00") + "Z"
    return text


def json_payload(payload) -> HttpResponse:
    """A 200 with ``payload`` (plain dicts, lists, strings, numbers) as JSON.

    For the hot read endpoints that build their payload from rows in the shape
    of their documented schema (``website.api_payloads``): orjson encodes it
    in a fraction of the time pydantic and ``json`` take. ``finish_response``
    still adds the ETag and cache headers.
    """
    return json_bytes(orjson.dumps(payload))


def json_bytes(content: bytes) -> HttpResponse:
    """A 200 with JSON encoded already (``json_payload``'s, kept in a cache)."""
    return HttpResponse(content, content_type="application/json; charset=utf-8")


# --- exception handlers -----------------------------------------------------------


def _validation_details(errors) -> list[dict]:
    """ninja's errors without the parts that are not JSON (exception objects in ctx)."""
    return [
        {"loc": [str(p) for p in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        | ({"type": error["type"]} if "type" in error else {})
        for error in errors
    ]


def install_error_handlers(api) -> None:
    def on_http_error(request, exc: HttpError):
        return error_response(
            status=exc.status_code,
            code=getattr(exc, "code", None),
            message=str(exc.message),
            details=getattr(exc, "details", None),
        )

    def on_not_found(request, exc):
        return error_response(status=404, message="Not found.")

    def on_ninja_validation(request, exc: NinjaValidationError):
        return error_response(
            status=422, message="The request is not valid.", details=_validation_details(exc.errors)
        )

    def on_permission_denied(request, exc: PermissionDenied):
        return error_response(status=403, message=str(exc) or "You may not do that.")

    def on_django_validation(request, exc: DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return error_response(status=422, message="; ".join(exc.messages), details=details)

    def on_unexpected(request, exc: Exception):
        from django.db import InterfaceError, OperationalError

        if isinstance(exc, OperationalError | InterfaceError):
            logger.error("database unavailable on %s %s", request.method, request.path)
            response = error_response(
                status=503,
                code="unavailable",
                message="The service is briefly unavailable; try again shortly.",
            )
            response["Retry-After"] = "30"
            return response
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(status=500, code="server_error", message="Something went wrong.")

    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(NinjaValidationError, on_ninja_validation)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(DjangoValidationError, on_django_validation)
    api.add_exception_handler(Exception, on_unexpected)


# --- caching ------------------------------------------------------------------------


def mark_shareable(request) -> None:
    """This response is the same for every anonymous reader (a CDN may keep it)."""
    request.api_shareable = True


def mark_personal(request) -> None:
    """This response depends on who asks (entitlement, meter): never shared."""
    request.api_personal = True


def _is_anonymous(request) -> bool:
    user = getattr(request, "user", None)
    return getattr(request, "api_token", None) is None and not (user and user.is_authenticated)


def finish_response(request, response):
    """Error shape for 405, then cache headers and the conditional GET answer."""
    if isinstance(response, HttpResponseNotAllowed):
        allow = response["Allow"]
        response = error_response(
            status=405, message=f"{request.method} is not allowed here.", details={"allow": allow}
        )
        response["Allow"] = allow
    patch_vary_headers(response, ["Authorization", "Cookie"])
    if "Cache-Control" not in response:
        if (
            response.status_code == 200
            and getattr(request, "api_shareable", False)
            and not getattr(request, "api_personal", False)
            and _is_anonymous(request)
        ):
            response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        elif response.status_code == 200 and request.method in ("GET", "HEAD"):
            response["Cache-Control"] = "private, no-cache"
        else:
            response["Cache-Control"] = "private, no-store"
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and not response.streaming
        and not response.has_header("ETag")
    ):
        response["ETag"] = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        conditional = get_conditional_response(request, etag=response["ETag"], response=response)
        if conditional is not None:
            return conditional
    return response


def api_view(view):
    """Wrap one of ninja's URL views with ``finish_response``."""

    def answer(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            # ninja answers a handler's 404 itself; this is one from outside an
            # operation (its docs views), which Django would answer in HTML.
            return error_response(status=404, message="Not found.")

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "HEAD":
            # HEAD is GET without the body (RFC 9110); ninja only routes GET.
            # ``head_request`` keeps what the client asked: a HEAD never spends
            # a metered read (``paywall.reading``).
            request.head_request = True
            request.method = "GET"
            response = finish_response(request, answer(request, *args, **kwargs))
            request.method = "HEAD"
            if not response.streaming:
                length = len(response.content)
                response.content = b""
                response["Content-Length"] = str(length)
            return response
        return finish_response(request, answer(request, *args, **kwargs))

    return wrapped


def unknown_path(request, rest=""):
    """Anything under /api/v1/ that names no endpoint: 404 in the error shape."""
    return finish_response(request, error_response(status=404, message="No such endpoint."))
