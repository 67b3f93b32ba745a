"""Schemas every part of the API shares."""

import re
from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Path, Schema
from pydantic import AfterValidator

from .dates import WINDOW_TEXT, moment_in_window


class ErrorBody(Schema):
    """What went wrong, for a program (``code``) and for a person (``message``)."""

    code: str = Field(examples=["not_found"], description="Stable, machine-readable.")
    message: str = Field(examples=["Not found."])
    details: Any = Field(
        None, description="Per-field problems or other structured detail; may be null."
    )


class ErrorOut(Schema):
    """The one error shape of every 4xx and 5xx response."""

    error: ErrorBody


# The 4xx answers any operation may give, all in the ErrorOut shape; a 5xx is a bug.
ERROR_STATUSES = frozenset({400, 401, 403, 404, 405, 409, 413, 415, 422, 429})
ERRORS = {ERROR_STATUSES: ErrorOut}

# Ids are positive and fit a 64-bit column: a larger number is a 422, not a
# database overflow (a 500) — SQLite and PostgreSQL both refuse past 2**63 - 1.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def id_path(what: str):
    """A path parameter holding an id (use as the parameter's default)."""
    return Path(..., ge=1, le=MAX_ID, description=f"The {what}'s id.")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_unstorable(value: str) -> str:
    # PostgreSQL cannot store or even compare NUL; Django's forms refuse it too.
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed.")
    # JSON may escape half a surrogate pair ("\ud800"): no database can encode it.
    if _LONE_SURROGATE.search(value):
        raise ValueError("Unpaired surrogate characters are not allowed.")
    return value


Text = Annotated[str, AfterValidator(_refuse_unstorable)]


# A date-time an API input may name: aware (a naive one is in the site's time
# zone) and within ``core.dates``' window, or a 422 instead of an overflow.
Moment = Annotated[
    datetime,
    AfterValidator(moment_in_window),
    Field(description=f"ISO 8601 date-time, {WINDOW_TEXT}; without an offset, the site's zone."),
]


def responses(ok_status: int, schema) -> dict:
    """An endpoint's ``response=``: its success schema and the shared error shapes."""
    return {ok_status: schema, **ERRORS}
