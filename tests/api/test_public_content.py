"""Public content endpoints: what a reader (or an app) can list and read."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from tests.conftest import requires_postgres
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    GalleryFactory,
    GalleryPhotoFactory,
    PlanFactory,
    RelatedArticleFactory,
    SectionFactory,
    TopicFactory,
)

from .conftest import assert_error

pytestmark = pytest.mark.django_db

API = "/api/v1"


def test_article_list_items_carry_the_card_fields_and_no_body(client):
    topic = TopicFactory(name="Pasar", slug="pasar")
    author = AuthorFactory(name="Sari", slug="sari")
    article = ArticleFactory(topics=[topic], authors=[author], lead_photo__renditions={})
    article.lead_photo.renditions = {"w640.webp": "renditions/1/w640.webp"}
    article.lead_photo.save()

    response = client.get(f"{API}/articles")

    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["id"] == article.pk
    assert item["url"] == article.get_absolute_url()
    assert item["headline"] == article.headline
    assert item["section"]["slug"] == article.section.slug
    assert [t["slug"] for t in item["topics"]] == ["pasar"]
    assert [a["slug"] for a in item["authors"]] == ["sari"]
    assert item["lead_photo"]["caption"] == article.lead_photo.caption
    assert item["lead_photo"]["credit"] == "Fotografer Uji"
    assert item["lead_photo"]["renditions"] == {"w640.webp": "/media/renditions/1/w640.webp"}
    assert item["access_level"] == "free"
    assert "body" not in item
    assert response.json()["next_cursor"] is None


def test_article_list_shows_only_live_articles(client):
    live = ArticleFactory()
    ArticleFactory(status=Article.Status.DRAFT)
    ArticleFactory(embargo_until=timezone.now() + timedelta(hours=3))
    ArticleFactory(expires_at=timezone.now() - timedelta(minutes=1))
    ArticleFactory(published_at=timezone.now() + timedelta(hours=1))

    ids = [item["id"] for item in client.get(f"{API}/articles").json()["items"]]

    assert ids == [live.pk]


def test_article_list_filters(client):
    now = timezone.now()
    economy = SectionFactory(slug="ekonomi")
    topic = TopicFactory(slug="rupiah")
    author = AuthorFactory(slug="budi")
    old = ArticleFactory(section=economy, published_at=now - timedelta(days=10))
    tagged = ArticleFactory(topics=[topic], authors=[author], access_level="premium")
    ArticleFactory()

    def ids(**params):
        return {i["id"] for i in client.get(f"{API}/articles", params).json()["items"]}

    assert ids(section="ekonomi") == {old.pk}
    assert ids(topic="rupiah") == {tagged.pk}
    assert ids(author="budi") == {tagged.pk}
    assert ids(access_level="premium") == {tagged.pk}
    assert ids(published_until=(now - timedelta(days=5)).isoformat()) == {old.pk}
    assert old.pk not in ids(published_since=(now - timedelta(days=5)).isoformat())
    assert ids(section="tidak-ada") == set()


def test_cursor_pagination_walks_every_article_once(client):
    now = timezone.now()
    same_time = now - timedelta(hours=2)
    articles = [ArticleFactory(published_at=same_time) for _ in range(3)]
    articles += [ArticleFactory(published_at=now - timedelta(minutes=i)) for i in range(1, 5)]

    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"{API}/articles", params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(a.pk for a in articles)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("cursor", ["garbage!!", "W10", "WyJ4IiwgMV0", "eyJhIjoxfQ"])
def test_a_cursor_we_did_not_make_is_a_400(client, cursor):
    assert_error(client.get(f"{API}/articles", {"cursor": cursor}), 400, "invalid_cursor")


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 500}, {"access_level": "secret"}, {"published_since": "kemarin"}],
)
def test_bad_list_parameters_are_a_422(client, params):
    error = assert_error(client.get(f"{API}/articles", params), 422, "invalid_input")
    assert error["details"]


@pytest.mark.parametrize("count", [1, 12])
def test_article_list_query_count_does_not_grow(client, django_assert_max_num_queries, count):
    topics = [TopicFactory() for _ in range(3)]
    authors = [AuthorFactory() for _ in range(2)]
    for _ in range(count):
        ArticleFactory(topics=topics, authors=authors)
    with django_assert_max_num_queries(3):
        response = client.get(f"{API}/articles", {"limit": 50})
    assert len(response.json()["items"]) == count


def test_free_article_detail_has_the_whole_body(client):
    article = ArticleFactory(editor=AuthorFactory(slug="redaktur"))
    body = client.get(f"{API}/articles/{article.pk}").json()
    assert "RAHASIA-PARAGRAF-EMPAT" in body["body"]
    assert body["access"] == {"granted": True, "reason": "free", "meter_left": None}
    assert body["editor"]["slug"] == "redaktur"
    assert body["dateline_city"] == "JAKARTA"


def test_detail_query_count_is_constant(client, django_assert_max_num_queries):
    article = ArticleFactory(topics=[TopicFactory() for _ in range(5)])
    # 3, and the paywall rules (one query on a cold cache, then cached per rule change).
    with django_assert_max_num_queries(4):
        assert client.get(f"{API}/articles/{article.pk}").status_code == 200


def test_unknown_and_unpublished_articles_are_404(client):
    draft = ArticleFactory(status=Article.Status.DRAFT)
    assert_error(client.get(f"{API}/articles/{draft.pk}"), 404, "not_found")
    assert_error(client.get(f"{API}/articles/987654"), 404, "not_found")
    assert_error(client.get(f"{API}/articles/{draft.pk}/related"), 404, "not_found")
    assert_error(client.get(f"{API}/articles/abc"), 422, "invalid_input")


def test_related_lists_curated_first(client):
    topic = TopicFactory()
    article = ArticleFactory(topics=[topic])
    by_topic = ArticleFactory(topics=[topic])
    curated = ArticleFactory()
    RelatedArticleFactory(article=article, related=curated)

    items = client.get(f"{API}/articles/{article.pk}/related").json()["items"]

    assert [i["id"] for i in items] == [curated.pk, by_topic.pk]


@pytest.mark.parametrize("count", [1, 15])
def test_related_query_count_does_not_grow(client, django_assert_max_num_queries, count):
    topic = TopicFactory()
    article = ArticleFactory(topics=[topic])
    for _ in range(count):
        ArticleFactory(topics=[topic, TopicFactory()], authors=[AuthorFactory()])
    with django_assert_max_num_queries(4):
        response = client.get(f"{API}/articles/{article.pk}/related", {"limit": 20})
    assert len(response.json()["items"]) == count


@pytest.mark.parametrize("count", [1, 10])
def test_sections_topics_authors_plans_query_counts(client, django_assert_max_num_queries, count):
    for i in range(count):
        SectionFactory()
        TopicFactory(is_hot=True, hot_order=i)
        AuthorFactory()
    PlanFactory(code="premium")
    for path in ("sections", "topics", "authors", "plans"):
        with django_assert_max_num_queries(1):
            assert client.get(f"{API}/{path}").status_code == 200


def test_hot_topics_in_the_editors_order(client):
    second = TopicFactory(name="A", is_hot=True, hot_order=2)
    first = TopicFactory(name="B", is_hot=True, hot_order=1)
    TopicFactory(name="C", is_hot=False)

    items = client.get(f"{API}/topics", {"hot": "true"}).json()["items"]

    assert [t["id"] for t in items] == [first.pk, second.pk]
    assert len(client.get(f"{API}/topics").json()["items"]) == 3


def test_authors_paginate_by_name(client):
    for name in ["Citra", "Adi", "Bima"]:
        AuthorFactory(name=name)
    first = client.get(f"{API}/authors", {"limit": 2}).json()
    second = client.get(f"{API}/authors", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [a["name"] for a in first["items"] + second["items"]] == ["Adi", "Bima", "Citra"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("count", [1, 6])
def test_galleries_with_their_photos(client, django_assert_max_num_queries, count):
    for _ in range(count):
        gallery = GalleryFactory()
        GalleryPhotoFactory(gallery=gallery, position=1, caption="Kedua")
        GalleryPhotoFactory(gallery=gallery, position=0, caption="")
    GalleryFactory(published_at=timezone.now() + timedelta(days=1))  # not yet

    with django_assert_max_num_queries(2):
        items = client.get(f"{API}/galleries").json()["items"]

    assert len(items) == count
    photos = items[0]["photos"]
    assert [p["position"] for p in photos] == [0, 1]
    assert photos[0]["caption"] == photos[0]["photo"]["caption"]  # falls back to the photo's
    assert photos[1]["caption"] == "Kedua"


def test_search_finds_free_body_text_but_not_gated_body_text(client):
    hit = ArticleFactory(headline="Rupiah menguat terhadap dolar")
    by_dek = ArticleFactory(dek="Nilai rupiah di pasar spot")
    by_body = ArticleFactory(headline="Cuaca cerah", body="<p>rupiah disebut di badan berita</p>")
    ArticleFactory(
        headline="Laporan premium",
        access_level="premium",
        body="<p>Satu.</p><p>Dua.</p><p>rupiah di paragraf tertutup</p>",
    )
    ArticleFactory(headline="Rupiah draf", status=Article.Status.DRAFT)

    body = client.get(f"{API}/search", {"q": "RUPIAH"}).json()

    assert {i["article"]["id"] for i in body["items"]} == {hit.pk, by_dek.pk, by_body.pk}
    snippets = {i["article"]["id"]: i["snippet"] for i in body["items"]}
    assert snippets[by_dek.pk].startswith("Nilai rupiah di pasar spot")
    assert "rupiah disebut di badan berita" in snippets[by_body.pk]
    assert "<mark>" not in json.dumps(body)  # plain text in the API


@requires_postgres
def test_search_on_postgres_ranks_headline_matches_first(client):
    ArticleFactory(headline="Cuaca cerah", body="<p>Harga beras naik di pasar.</p>")
    first = ArticleFactory(headline="Harga beras naik lagi")
    items = client.get(f"{API}/search", {"q": "beras"}).json()["items"]
    assert items[0]["article"]["id"] == first.pk
    assert len(items) == 2


def test_premium_reader_finds_premium_body_text_others_do_not(client, premium_reader):
    article = ArticleFactory(headline="Laporan khusus", access_level="premium")
    assert client.get(f"{API}/search", {"q": "RAHASIA"}).json()["items"] == []
    client.force_login(premium_reader)
    response = client.get(f"{API}/search", {"q": "RAHASIA"})
    [item] = response.json()["items"]
    assert item["article"]["id"] == article.pk
    assert "RAHASIA-PARAGRAF-TIGA" in item["snippet"]
    assert response["Cache-Control"].startswith("private")


@pytest.mark.parametrize("count", [1, 10])
def test_search_query_count_does_not_grow(client, django_assert_num_queries, count):
    for _ in range(count):
        ArticleFactory(headline="Saham naik", topics=[TopicFactory()], authors=[AuthorFactory()])
    # What a process reads once (the paywall rules, the vectors' statistics) is read.
    client.get(f"{API}/search", {"q": "lain"})
    # The ranking, the rows of the results, their topics and bylines.
    with django_assert_num_queries(3):
        assert len(client.get(f"{API}/search", {"q": "saham"}).json()["items"]) == count
    # Another page of the same words is read by id from the kept ranking.
    with django_assert_num_queries(2) as queries:
        assert len(client.get(f"{API}/search", {"q": "saham", "limit": 5}).json()["items"]) == min(
            count, 5
        )
    assert not [q["sql"] for q in queries.captured_queries if "saham" in q["sql"].lower()]


def test_search_needs_a_query(client):
    assert_error(client.get(f"{API}/search"), 422, "invalid_input")
    assert_error(client.get(f"{API}/search", {"q": "x"}), 422, "invalid_input")


def test_plans_on_sale(client):
    PlanFactory(code="premium")
    PlanFactory(code="adfree", name="Bebas iklan", is_active=False)
    [plan] = client.get(f"{API}/plans").json()["items"]
    assert plan["code"] == "premium"
    assert plan["currency"] == "IDR"
    assert "premium_content" in plan["entitlements"]
