"""The API fuzzed against its own OpenAPI document (schemathesis, in-process WSGI).

Every operation gets a bounded number of generated requests, valid and invalid,
as an editor with every scope (so the editor endpoints are reached too). No
answer may be a 5xx, carry an undocumented status or content type, or break
its declared schema.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core import roles
from tests.factories import (
    ArticleFactory,
    GalleryPhotoFactory,
    PlanFactory,
    RelatedArticleFactory,
    SubscriptionFactory,
    TopicFactory,
    UserFactory,
)

from .conftest import make_token

MAX_EXAMPLES = 12


@pytest.fixture
def wsgi_app():
    """Django's WSGI app, minus closing the test's database connection after each
    request (Django's own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_data(db, settings):
    """A small newsroom with ids 1..n so generated ids often hit real rows."""
    settings.API_RATE_ANONYMOUS = 1_000_000
    settings.API_RATE_AUTHENTICATED = 1_000_000
    topic = TopicFactory(is_hot=True)
    articles = [ArticleFactory(topics=[topic]) for _ in range(3)]
    ArticleFactory(access_level="premium", topics=[topic])
    ArticleFactory(status="draft")
    RelatedArticleFactory(article=articles[0], related=articles[1])
    GalleryPhotoFactory()
    editor = UserFactory(username="fuzz-editor", role=roles.EDITOR)
    SubscriptionFactory(user=editor, plan=PlanFactory(code="premium"))
    return {"token": make_token(editor, "read", "write", "publish")}


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation with valid input, and with invalid input where it takes any."""
    from newsroom.api import api

    cases = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_api_conforms_to_its_openapi_document(wsgi_app, fuzz_data, method, path, mode):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {fuzz_data['token']}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
