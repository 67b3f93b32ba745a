"""Shared builders for the reader-site tests."""

import json
import re

import pytest

from tests.factories import (
    ArticleFactory,
    PlanFactory,
    SubscriptionFactory,
    UserFactory,
)

SECRET = "RAHASIA-PARAGRAF-TIGA"


def json_ld(html: str) -> list[dict]:
    """Every JSON-LD block of a page, parsed."""
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(b) for b in blocks]


def meta_content(html: str, key: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return match.group(1) if match else None


@pytest.fixture
def premium_article(db):
    return ArticleFactory(access_level="premium", headline="Laporan Khusus Tambang Nikel")


@pytest.fixture
def premium_reader(db):
    user = UserFactory(username="pelanggan-zq")
    SubscriptionFactory(user=user, plan=PlanFactory(code="premium"))
    return user


@pytest.fixture
def adfree_reader(db):
    user = UserFactory(username="bebasiklan")
    SubscriptionFactory(user=user, plan=PlanFactory(code="adfree", name="Bebas Iklan"))
    return user


@pytest.fixture(autouse=True)
def _default_language():
    """A request under /en/ leaves English active in the test thread; reset it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
