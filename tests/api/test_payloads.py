"""The article list, detail and search answer in the shape of their schemas.

``website.api_payloads`` builds the JSON from ``.values()`` rows instead of
validating model instances through ``website.schemas``. Here the same
articles go through both: the endpoint's JSON must equal what the schema
(as ninja renders it) makes of the model objects, field for field and in
the same order, for cards with and without section, photo, agency, caption
override, topics, authors and editor, and for gated and granted bodies.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from articles.models import Article
from paywall.policy import Surface, decide
from paywall.rights import ANONYMOUS
from tests.factories import (
    AgencyFactory,
    ArticleFactory,
    AuthorFactory,
    PhotoFactory,
    TopicFactory,
)
from website.api import CARD_PREFETCH
from website.schemas import ArticleCardOut, ArticleOut

from .conftest import SECRET

pytestmark = pytest.mark.django_db

API = "/api/v1"


def as_ninja_renders(schema_object) -> dict:
    """What the schema path sent: ``model_dump()`` through ninja's JSON encoder."""
    return json.loads(json.dumps(schema_object.model_dump(), cls=NinjaJSONEncoder))


def loaded(pk: int) -> Article:
    return (
        Article.objects.for_listing()
        .select_related("editor")
        .prefetch_related(*CARD_PREFETCH)
        .get(pk=pk)
    )


@pytest.fixture
def newsroom_mix():
    now = timezone.now()
    agency_photo = PhotoFactory(agency=AgencyFactory(), credit="Budi")
    agency_photo.renditions = {"w320.webp": "renditions/7/w320.webp", "w640.jpg": "r/7/w640.jpg"}
    agency_photo.save()
    zeta, alpha = TopicFactory(name="Zeta", is_hot=True), TopicFactory(name="alpha")
    writers = [AuthorFactory(name="Wati", role_title="Reporter"), AuthorFactory(name="Andi")]
    return [
        ArticleFactory(
            topics=[zeta, alpha],
            authors=writers,
            lead_photo=agency_photo,
            editor=AuthorFactory(name="Redaktur"),
            published_at=now - timedelta(minutes=1, microseconds=7),
        ),
        ArticleFactory(section=None, lead_photo=None, published_at=now - timedelta(minutes=2)),
        ArticleFactory(
            lead_photo_caption="Keterangan khusus artikel ini",
            access_level="premium",
            topics=[alpha],
            published_at=now - timedelta(minutes=3),
        ),
        ArticleFactory(
            access_level="metered",
            lead_photo=PhotoFactory(image=""),
            published_at=(now - timedelta(minutes=4)).replace(microsecond=0),
        ),
    ]


def test_list_items_equal_the_card_schema(client, newsroom_mix):
    items = client.get(f"{API}/articles", {"limit": 50}).json()["items"]

    expected = [as_ninja_renders(ArticleCardOut.from_orm(loaded(a.pk))) for a in newsroom_mix]
    assert items == expected
    assert [list(item) for item in items] == [list(card) for card in expected]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_detail_equals_the_article_schema_for_the_same_decision(client, newsroom_mix, index):
    article = loaded(newsroom_mix[index].pk)
    decision = decide(rights=ANONYMOUS, article=article, surface=Surface.API)

    body = client.get(f"{API}/articles/{article.pk}").json()

    assert body == as_ninja_renders(ArticleOut.for_reader(article, decision))
    assert (SECRET in body["body"]) is decision.granted


def test_search_cards_equal_the_card_schema(client, newsroom_mix):
    items = client.get(f"{API}/search", {"q": "Berita uji"}).json()["items"]

    by_id = {a.pk: a for a in newsroom_mix}
    assert {item["article"]["id"] for item in items} == set(by_id)
    for item in items:
        card = as_ninja_renders(ArticleCardOut.from_orm(loaded(item["article"]["id"])))
        assert item["article"] == card
