"""The page cache by entitlement, its invalidation, headers and query budgets."""

import pytest
from django.utils import timezone

from articles.models import Article
from pagecache import store as page_cache
from tests.conftest import clear_caches
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    PhotoFactory,
    RelatedArticleFactory,
    SectionFactory,
    TopicFactory,
    UserFactory,
)

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def rich_article(n: int) -> Article:
    """An article with n topics, n curated related articles, n inline photos and
    n read-also blocks, plus a full set of surrounding blocks."""
    topics = [TopicFactory(is_hot=True) for _ in range(n)]
    photos = [PhotoFactory() for _ in range(n)]
    others = [ArticleFactory(topics=topics[:1], is_editors_pick=True) for _ in range(n)]
    body = ["<p>Paragraf pembuka.</p>", "<p>Paragraf kedua.</p>"]
    body += [f'<figure data-photo-id="{p.pk}"></figure>' for p in photos]
    body += [f'<aside data-read-also="{a.pk}"></aside>' for a in others]
    article = ArticleFactory(topics=topics, body="\n".join(body))
    for position, other in enumerate(others):
        RelatedArticleFactory(article=article, related=other, position=position)
    return article


@pytest.mark.parametrize("n", [1, 20])
def test_uncached_article_page_runs_at_most_9_queries(client, django_assert_max_num_queries, n):
    article = rich_article(n)
    clear_caches()
    # 8, and the paywall rules: one query on a cold cache, then cached per rule change.
    with django_assert_max_num_queries(9):
        response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert response["X-Page-Cache"] == "miss"
    assert html.count('class="read-also"') == n
    assert html.count('<figure class="photo">') == n + 1  # inline photos and the lead


def test_article_query_count_does_not_grow_with_the_page(client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 20):
        article = rich_article(n)
        clear_caches()
        with CaptureQueriesContext(connection) as queries:
            client.get(article.get_absolute_url())
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_home_and_section_pages_have_bounded_queries(client, django_assert_max_num_queries):
    sections = [SectionFactory() for _ in range(6)]
    for section in sections:
        for _ in range(5):
            ArticleFactory(section=section, topics=[TopicFactory(is_hot=True)])
    clear_caches()
    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200
    clear_caches()
    # section, its subsections, count, page, then menu+hot topics and galleries
    with django_assert_max_num_queries(6):
        assert client.get(f"/rubrik/{sections[0].slug}/").status_code == 200


@pytest.mark.parametrize("kind", ["topic", "author"])
def test_topic_and_author_pages_have_bounded_queries_on_every_page(
    client, django_assert_max_num_queries, kind
):
    owner = TopicFactory() if kind == "topic" else AuthorFactory()
    photo = PhotoFactory()
    now = timezone.now()
    articles = [
        ArticleFactory(
            headline=f"Kabar urutan {n:02d}.",
            section=SectionFactory(),
            lead_photo=photo,
            published_at=now - timezone.timedelta(minutes=n + 1),
            **{f"{kind}s": [owner]},
        )
        for n in range(25)
    ]
    ArticleFactory(**{f"{kind}s": [owner]}, status="draft")
    pages = []
    for number in (1, 2):
        clear_caches()
        # the owner, count, page, then menu+hot topics and galleries
        with django_assert_max_num_queries(5):
            response = client.get(f"{owner.get_absolute_url()}?page={number}")
        assert response.status_code == 200
        pages.append(response.content.decode())
    assert all(a.headline in pages[0] for a in articles[:20])
    assert not any(a.headline in pages[0] for a in articles[20:])
    assert all(a.headline in pages[1] for a in articles[20:])
    assert "Halaman 2 dari 2" in pages[1]
    assert client.get(f"{owner.get_absolute_url()}?page=3").status_code == 404


def test_anonymous_cache_hit_runs_no_sql(client, django_assert_num_queries):
    article = ArticleFactory()
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    client.get("/")
    with django_assert_num_queries(0):
        response = client.get(article.get_absolute_url())
        home = client.get("/")
    assert response["X-Page-Cache"] == "hit"
    assert home["X-Page-Cache"] == "hit"
    assert response.status_code == 200


def test_a_kept_page_is_the_bytes_it_was_sent_as(client):
    """A hit sends the kept bytes as they are: no decoding from the cache and no
    encoding for the response (a third of a hit's work for a page with a dash
    or a curly quote). What a reader gets is the same either way."""
    article = ArticleFactory(headline="Harga cabai — naik ‘lagi’ di Pasar Minggu")
    miss = client.get(article.get_absolute_url())
    home_miss = client.get("/")
    entry = page_cache.article_entry(article.pk, language="id", entitlement="anonymous")
    home = page_cache.list_entry(
        page_cache.list_page("home"), language="id", entitlement="anonymous"
    )

    assert [v["html"] for v in entry.variants.values()] == [miss.content]
    assert [v["html"] for v in home.variants.values()] == [home_miss.content]
    hit, home_hit = client.get(article.get_absolute_url()), client.get("/")
    assert (hit["X-Page-Cache"], home_hit["X-Page-Cache"]) == ("hit", "hit")
    assert (hit.content, home_hit.content) == (miss.content, home_miss.content)
    assert "Harga cabai — naik ‘lagi’" in hit.content.decode()
    assert hit["Content-Type"] == "text/html; charset=utf-8"
    assert int(hit["Content-Length"]) == len(miss.content)


def test_cache_never_serves_entitled_text_to_another_variant(client, premium_reader):
    article = ArticleFactory(access_level="premium")
    client.force_login(premium_reader)
    assert SECRET in client.get(article.get_absolute_url()).content.decode()
    client.logout()
    anonymous = client.get(article.get_absolute_url())
    assert SECRET not in anonymous.content.decode()
    client.force_login(UserFactory())
    registered = client.get(article.get_absolute_url())
    assert SECRET not in registered.content.decode()
    # ...and the subscriber's copy is still theirs, from the cache.
    client.force_login(premium_reader)
    again = client.get(article.get_absolute_url())
    assert again["X-Page-Cache"] == "hit"
    assert SECRET in again.content.decode()


def test_shareable_pages_are_public_and_tagged_entitled_ones_private(client, premium_reader):
    free = ArticleFactory()
    premium = ArticleFactory(access_level="premium")
    metered = ArticleFactory(access_level="metered")
    response = client.get(free.get_absolute_url())
    assert response["Cache-Control"].startswith("public")
    assert "s-maxage=" in response["Cache-Control"]
    assert f"article-{free.pk}" in response["Surrogate-Key"]
    assert f"article-{free.pk}" in response["Cache-Tag"]
    assert client.get(premium.get_absolute_url())["Cache-Control"].startswith("public")  # teaser
    assert client.get(metered.get_absolute_url())["Cache-Control"].startswith("private")
    assert client.get("/")["Cache-Control"].startswith("public")
    client.force_login(premium_reader)
    for url in (free.get_absolute_url(), premium.get_absolute_url(), "/"):
        assert client.get(url)["Cache-Control"].startswith("private"), url


def test_edit_invalidates_the_article_page(client):
    article = ArticleFactory(headline="Judul Pertama")
    client.get(article.get_absolute_url())
    article.headline = "Judul Sesudah Diedit"
    article.save()
    response = client.get(article.get_absolute_url())
    assert response["X-Page-Cache"] == "miss"
    assert "Judul Sesudah Diedit" in response.content.decode()


def test_publish_invalidates_home_and_section(client):
    section = SectionFactory()
    ArticleFactory(section=section)
    draft = ArticleFactory(section=section, status="draft", headline="Baru Terbit Hari Ini")
    assert "Baru Terbit" not in client.get("/").content.decode()
    assert "Baru Terbit" not in client.get(f"/rubrik/{section.slug}/").content.decode()
    # What articles.services.article_publish writes (the service itself locks
    # with select_related on a nullable FK, which PostgreSQL refuses; reported).
    draft.status, draft.published_at = "published", timezone.now()
    draft.save()
    assert "Baru Terbit" in client.get("/").content.decode()
    assert "Baru Terbit" in client.get(f"/rubrik/{section.slug}/").content.decode()


def test_purge_for_article_is_what_the_pipeline_calls(client):
    article = ArticleFactory()
    client.get(article.get_absolute_url())
    client.get("/")
    # A change the signals do not see (a raw update), then the pipeline's purge.
    Article.objects.filter(pk=article.pk).update(headline="Diubah Tanpa Sinyal")
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    page_cache.purge_for_article(article)
    assert "Diubah Tanpa Sinyal" in client.get(article.get_absolute_url()).content.decode()
    assert "Diubah Tanpa Sinyal" in client.get("/").content.decode()


def test_unpublished_article_leaves_the_cache(client):
    article = ArticleFactory()
    client.get(article.get_absolute_url())
    article.status = "unpublished"  # what articles.services.article_unpublish writes
    article.save()
    assert client.get(article.get_absolute_url()).status_code == 404


def test_section_or_topic_change_purges_every_page(client):
    article = ArticleFactory()
    client.get(article.get_absolute_url())
    article.section.name = "Rubrik Berganti Nama"
    article.section.save()
    assert "Rubrik Berganti Nama" in client.get(article.get_absolute_url()).content.decode()


def test_english_and_indonesian_pages_are_cached_apart(client):
    article = ArticleFactory()
    client.get(article.get_absolute_url())
    english = client.get(f"/en{article.get_absolute_url()}")
    assert english["X-Page-Cache"] == "miss"
    assert '<html lang="en">' in english.content.decode()
