"""What the admin refuses from a URL before Django's admin turns it into a 500.

Django's admin trusts its URLs more than a public site can: an object id that
is not a number, a list filter at year 1 (which overflows when SQLite turns it
into UTC), a year past ``int`` range or a NUL (which PostgreSQL refuses in any
text) reach the database and fail there. ``RefusesBadInput`` checks them where
they come in: a malformed object id is a 404, a bad list filter shows the list
without it, with an error, answered 400.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import (
    ALL_VAR,
    ERROR_FLAG,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    TO_FIELD_VAR,
)
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

from core.api_schemas import MAX_ID
from core.dates import WINDOW_TEXT, moment_in_window, year_in_window

# The changelist's own parameters (search, order, page, …), not field lookups.
CHANGELIST_PARAMS = {
    ALL_VAR,
    ERROR_FLAG,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    TO_FIELD_VAR,
    "_changelist_filters",
}
# Date parts a lookup may extract, with the values that can make sense.
DATE_PARTS = {
    "month": (1, 12),
    "day": (1, 31),
    "week": (1, 53),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "quarter": (1, 4),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}


def object_id_or_404(object_id) -> int:
    """The integer id an admin URL names; anything else is "not found", not a 500."""
    value = unquote(str(object_id))
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
        raise Http404(_("No such object."))
    return int(value)


def _small_int(value: str, low: int, high: int) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 4 and low <= int(value) <= high


def _date_value_ok(field: models.DateField, lookup: str, value: str) -> bool:
    first = lookup.split("__")[0] if lookup else "exact"
    if first in ("isnull",):
        return True
    if first in ("year", "iso_year"):
        return _small_int(value, 0, 9999) and year_in_window(int(value))
    if first in DATE_PARTS:
        return _small_int(value, *DATE_PARTS[first])
    parse = models.DateField().to_python if first == "date" else field.to_python
    parts = value.split(",") if first in ("in", "range") else [value]
    try:
        for part in parts:
            moment = parse(part.strip())
            if moment is None:
                return False
            moment_in_window(moment)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


def refused_list_params(model, query) -> list[str]:
    """The changelist parameters in ``query`` the database cannot be asked about."""
    refused = []
    for key in query:
        values = query.getlist(key)
        if any("\x00" in text for text in (key, *values)):
            refused.append(key)
            continue
        if key in CHANGELIST_PARAMS:
            continue
        name, _sep, lookup = key.partition("__")
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # Django refuses lookups it does not know, without a 500
        if isinstance(field, models.DateField) and not all(
            _date_value_ok(field, lookup, value) for value in values
        ):
            refused.append(key)
    return refused


class RefusesBadInput:
    """A ModelAdmin mixin: malformed ids are 404s, impossible list filters are 400s."""

    def get_object(self, request, object_id, from_field=None):
        if from_field is None:
            object_id = object_id_or_404(object_id)
        return super().get_object(request, object_id, from_field)

    def changelist_view(self, request, extra_context=None):
        refused = refused_list_params(self.model, request.GET)
        if not refused:
            return super().changelist_view(request, extra_context)
        kept = request.GET.copy()
        for key in refused:
            del kept[key]
        request.GET = kept
        messages.error(
            request,
            _("Not applied: %(params)s (dates must be %(window)s, text without NUL).")
            % {"params": ", ".join(sorted(refused)), "window": WINDOW_TEXT},
        )
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            response.status_code = 400
        return response
