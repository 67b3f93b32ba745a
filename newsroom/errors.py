"""Error responses: a lost database is a 503 with Retry-After, never a stack trace.

``DatabaseUnavailableMiddleware`` turns a database error raised by a view or
its template into this response; ``server_error`` (the project's
``handler500``) does the same for one raised elsewhere, e.g. by the session
middleware saving a session, which no ``process_exception`` sees.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = "30"


def database_unavailable_response(request, exception: Exception) -> HttpResponse:
    # Only the class name is logged: a driver's message can hold host names.
    logger.error("database unavailable: %s", exception.__class__.__name__)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": "Temporarily unavailable: the database cannot be reached."}, status=503
        )
    else:
        # Rendered without context processors: they would need the database.
        response = HttpResponse(loader.get_template("503.html").render({}), status=503)
    response["Retry-After"] = RETRY_AFTER_SECONDS
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """``handler500``: the 503 page when the uncaught error is a lost database."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_ERRORS):
        return database_unavailable_response(request, exception)
    return defaults.server_error(request, template_name)
