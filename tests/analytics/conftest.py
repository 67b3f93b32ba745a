"""Helpers for the funnel tests: roll recorded events up and read them back."""

import pytest

from analytics import funnel as funnel_rollup
from analytics.models import FunnelEvent
from tests.subscriptions.conftest import plans  # noqa: F401 - fixture

SECRET = "RAHASIA-PARAGRAF-TIGA"  # in every ArticleFactory body, past the teaser


def roll_up() -> dict:
    """What the beat does: write recorded events, recount their days, attribute."""
    return funnel_rollup.roll_up()


def events(kind=None) -> list[FunnelEvent]:
    found = FunnelEvent.objects.order_by("at", "pk")
    return list(found.filter(kind=kind) if kind else found)


@pytest.fixture
def signup_data():
    return {
        "username": "pembaca-baru",
        "email": "pembaca-baru@example.com",
        "password1": "sangat-rahasia-123",
        "password2": "sangat-rahasia-123",
    }
