"""Schemas every part of the API shares."""

from typing import Any

from ninja import Field, Schema


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
