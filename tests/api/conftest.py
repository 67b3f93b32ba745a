"""Fixtures for the API tests: readers of each kind, tokens, a premium article."""

import pytest

from apitokens.services import token_create
from core import roles
from subscriptions.plans import AD_FREE
from tests.factories import ArticleFactory, PlanFactory, SubscriptionFactory, UserFactory

SECRET = "RAHASIA-PARAGRAF-TIGA"


def auth(raw_token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_token}"}


def make_token(user, *scopes: str) -> str:
    _token, raw = token_create(user=user, name="test", scopes=list(scopes) or ["read"])
    return raw


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Every 4xx reads {"error": {"code", "message", "details"}}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def registered(db):
    return UserFactory(username="pembaca")


@pytest.fixture
def adfree_reader(db):
    plan = PlanFactory(code="adfree", name="Bebas iklan", entitlements=[AD_FREE])
    return SubscriptionFactory(plan=plan, user=UserFactory(username="bebasiklan")).user


@pytest.fixture
def premium_reader(db):
    return SubscriptionFactory(plan=PlanFactory(code="premium"), user=UserFactory()).user


@pytest.fixture
def reporter(db):
    return UserFactory(username="wartawan", role=roles.REPORTER)


@pytest.fixture
def editor(db):
    return UserFactory(username="redaktur", role=roles.EDITOR)


@pytest.fixture
def premium_article(db):
    return ArticleFactory(
        headline="Laporan khusus neraca dagang",
        dek="Ringkasan untuk semua pembaca.",
        access_level="premium",
    )
