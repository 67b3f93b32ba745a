"""The article list and detail kept in the cache (``website.api_cache``) answer
what the database would: after edits, publishes, unpublishing and expiry, and
the detail still cuts the body per reader."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory, SectionFactory

from .conftest import SECRET, auth, make_token

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_a_detail_read_by_a_premium_reader_first_still_shows_others_only_the_teaser(
    client, premium_article, premium_reader, registered
):
    url = f"{API}/articles/{premium_article.pk}"
    client.force_login(premium_reader)
    assert SECRET in client.get(url).json()["body"]  # the row (whole body) is now kept
    client.logout()
    for extra in ({}, auth(make_token(registered, "read"))):
        response = client.get(url, **extra)
        assert SECRET.encode() not in response.content
        assert response.json()["access"]["granted"] is False
        assert "Paragraf pembuka" in response.json()["body"]
    client.force_login(premium_reader)
    assert SECRET in client.get(url).json()["body"]


def test_a_kept_detail_follows_edits_unpublishing_and_expiry(client, monkeypatch):
    article = ArticleFactory(headline="Sebelum", expires_at=timezone.now() + timedelta(hours=1))
    url = f"{API}/articles/{article.pk}"
    assert client.get(url).json()["headline"] == "Sebelum"
    article.headline = "Sesudah"
    article.save()
    assert client.get(url).json()["headline"] == "Sesudah"
    section = article.section
    section.name = "Rubrik baru"
    section.save()
    assert client.get(url).json()["section"]["name"] == "Rubrik baru"
    later = timezone.now() + timedelta(hours=2)  # expired, and no write said so
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: later)
        assert client.get(url).status_code == 404
    assert client.get(url).status_code == 200
    article.status = Article.Status.UNPUBLISHED
    article.save()
    assert client.get(url).status_code == 404


def test_a_kept_list_follows_publishes_and_edits(client):
    first = ArticleFactory(headline="Pertama")
    assert [i["headline"] for i in client.get(f"{API}/articles").json()["items"]] == ["Pertama"]
    ArticleFactory(headline="Kedua", published_at=first.published_at + timedelta(minutes=1))
    items = client.get(f"{API}/articles").json()["items"]
    assert [i["headline"] for i in items] == ["Kedua", "Pertama"]
    section = SectionFactory(slug="baru", name="Baru")
    first.section = section
    first.save()
    items = client.get(f"{API}/articles", {"section": "baru"}).json()["items"]
    assert [(i["headline"], i["section"]["name"]) for i in items] == [("Pertama", "Baru")]
    section.name = "Lebih baru"
    section.save()
    items = client.get(f"{API}/articles", {"section": "baru"}).json()["items"]
    assert items[0]["section"]["name"] == "Lebih baru"


def test_a_kept_list_or_detail_runs_no_query(client, django_assert_num_queries):
    article = ArticleFactory()
    for url in (f"{API}/articles", f"{API}/articles/{article.pk}"):
        first = client.get(url)
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.content == first.content
        assert again["ETag"] == first["ETag"]
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
