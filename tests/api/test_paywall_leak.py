"""The paywall over the API: a premium article's hidden paragraphs never leave
the server for readers who are not entitled, on any public endpoint."""

import json

import pytest

from tests.factories import ArticleFactory, RelatedArticleFactory, TopicFactory

from .conftest import SECRET, auth, make_token

pytestmark = pytest.mark.django_db

API = "/api/v1"


def public_urls(article, other) -> list[str]:
    """Every public GET that could show the article, including tricks to ask for the body."""
    return [
        f"{API}/articles",
        f"{API}/articles?fields=body",
        f"{API}/articles?fields=body&include=body&expand=body",
        f"{API}/articles?access_level=premium",
        f"{API}/articles?topic={article.topics.first().slug}",
        f"{API}/articles/{article.pk}",
        f"{API}/articles/{article.pk}?fields=body&full=1&preview=1",
        f"{API}/articles/{other.pk}/related",
        f"{API}/articles/{other.pk}/related?fields=body",
        f"{API}/search?q=neraca",
        f"{API}/search?q={SECRET}",
        f"{API}/search?q=RAHASIA",
        f"{API}/search?q=neraca&fields=body",
    ]


@pytest.fixture
def gated(premium_article):
    topic = TopicFactory(slug="neraca")
    premium_article.topics.add(topic)
    # A free article's body is public (and searchable); keep the marker words
    # out of it so any hit below can only come from the premium article.
    other = ArticleFactory(topics=[topic], body="<p>Berita bebas tentang neraca.</p>")
    RelatedArticleFactory(article=other, related=premium_article)
    return premium_article, other


def _assert_no_secret(client, urls, **extra):
    for url in urls:
        response = client.get(url, **extra)
        assert response.status_code == 200, (url, response.content)
        data = response.json()
        if "/search" in url:
            data.pop("query")  # the search echoes the words asked for; only results count
        text = json.dumps(data)
        assert SECRET not in text, url
        assert "RAHASIA-PARAGRAF-EMPAT" not in text, url


def test_anonymous_reader_never_receives_hidden_paragraphs(client, gated):
    article, other = gated
    _assert_no_secret(client, public_urls(article, other))
    detail = client.get(f"{API}/articles/{article.pk}").json()
    assert "Paragraf pembuka" in detail["body"]  # the teaser is there
    assert detail["access"]["granted"] is False
    assert detail["access"]["reason"] == "premium_login"


@pytest.mark.parametrize(
    ("reader_fixture", "reason"),
    [("registered", "subscription_required"), ("adfree_reader", "upgrade_required")],
)
def test_signed_in_readers_without_premium_never_receive_them(
    client, gated, request, reader_fixture, reason
):
    article, other = gated
    reader = request.getfixturevalue(reader_fixture)
    client.force_login(reader)
    _assert_no_secret(client, public_urls(article, other))
    detail = client.get(f"{API}/articles/{article.pk}").json()
    assert detail["access"] == {
        "granted": False,
        "reason": reason,
        "meter_left": None,
    }


@pytest.mark.parametrize("reader_fixture", ["registered", "adfree_reader"])
def test_token_readers_without_premium_never_receive_them(client, gated, request, reader_fixture):
    article, other = gated
    token = make_token(request.getfixturevalue(reader_fixture), "read", "write", "publish")
    _assert_no_secret(client, public_urls(article, other), **auth(token))


def test_premium_reader_gets_the_whole_body_by_session_and_by_token(
    client, premium_article, premium_reader
):
    url = f"{API}/articles/{premium_article.pk}"
    token = make_token(premium_reader, "read")
    by_token = client.get(url, **auth(token))
    client.force_login(premium_reader)
    by_session = client.get(url)
    for response in (by_token, by_session):
        assert SECRET in response.json()["body"]
        assert response.json()["access"]["reason"] == "subscriber"
        assert "private" in response["Cache-Control"]


def test_lists_never_carry_a_body_even_for_premium_readers(client, premium_article, premium_reader):
    client.force_login(premium_reader)
    response = client.get(f"{API}/articles?fields=body")
    assert SECRET.encode() not in response.content
