"""The premium article's hidden paragraphs leave the server on no anonymous surface."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import ArticleFactory, UserFactory

from .conftest import SECRET, json_ld, meta_content

pytestmark = pytest.mark.django_db


def anonymous_surfaces(article):
    return [
        article.get_absolute_url(),
        article.get_absolute_url() + "?print=1",
        f"/en{article.get_absolute_url()}",
        "/",
        "/rss/",
        f"/rss/rubrik/{article.section.slug}/",
        "/search/?q=paragraf+tiga",  # (the query itself is echoed back)
        "/search/?q=RAHASIA",
        "/search/?q=Nikel",
        "/sitemap.xml",
        "/sitemap-articles.xml",
        "/sitemap-news.xml",
        f"/rubrik/{article.section.slug}/",
    ]


def test_hidden_text_is_on_no_anonymous_surface(client, premium_article):
    for url in anonymous_surfaces(premium_article):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url


def test_anonymous_page_has_teaser_gate_and_honest_structured_data(client, premium_article):
    html = client.get(premium_article.get_absolute_url()).content.decode()
    assert "Paragraf pembuka" in html
    assert "Paragraf kedua" in html
    assert 'data-paywall="premium_login"' in html
    (data,) = json_ld(html)
    assert data["isAccessibleForFree"] is False
    assert data["hasPart"] == {
        "@type": "WebPageElement",
        "isAccessibleForFree": False,
        "cssSelector": ".article-gated",
    }
    assert 'class="article-gated"' in html  # the selector names a real element
    assert meta_content(html, "description") == premium_article.dek
    assert f'<meta name="description" content="{premium_article.dek}">' in html
    assert meta_content(html, "og:description") == premium_article.dek


def test_registered_reader_without_premium_is_gated_too(client, premium_article):
    client.force_login(UserFactory())
    html = client.get(premium_article.get_absolute_url()).content.decode()
    assert SECRET not in html
    assert 'data-paywall="subscription_required"' in html


def test_premium_subscriber_reads_everything(client, premium_article, premium_reader):
    client.force_login(premium_reader)
    response = client.get(premium_article.get_absolute_url())
    html = response.content.decode()
    assert SECRET in html
    assert "RAHASIA-PARAGRAF-EMPAT" in html
    assert "data-paywall" not in html
    assert 'class="article-body article-gated"' in html
    assert response["Cache-Control"].startswith("private")


def test_subscriber_search_finds_body_words_the_anonymous_reader_cannot(
    client, premium_article, premium_reader
):
    anonymous = client.get("/search/?q=RAHASIA").content.decode()
    assert premium_article.headline not in anonymous
    client.force_login(premium_reader)
    subscriber = client.get("/search/?q=RAHASIA").content.decode()
    assert premium_article.headline in subscriber
    assert "<mark>RAHASIA</mark>" in subscriber


def test_feed_carries_the_whole_free_article_and_only_the_teaser_of_gated_ones(client):
    free = ArticleFactory(headline="Berita Gratis")
    ArticleFactory(access_level="premium", headline="Berita Premium")
    ArticleFactory(access_level="metered", headline="Berita Kuota")
    ArticleFactory(access_level="registered", headline="Berita Terdaftar")
    xml = client.get("/rss/").content.decode()
    assert xml.count("RAHASIA-PARAGRAF-TIGA") == 1  # the free article only
    assert free.headline in xml


def preview_user(perm=True):
    user = UserFactory(is_staff=True)
    if perm:
        user.user_permissions.add(Permission.objects.get(codename="preview_article"))
    return user


@pytest.mark.parametrize(
    ("as_reader", "secret_shown", "gate", "ads"),
    [
        ("anonymous", False, "premium_login", True),
        ("registered", False, "subscription_required", True),
        ("premium", True, None, False),
    ],
)
def test_preview_shows_a_draft_as_each_reader_would_see_it(
    client, as_reader, secret_shown, gate, ads
):
    draft = ArticleFactory(status="draft", access_level="premium", published_at=None)
    client.force_login(preview_user())
    response = client.get(f"/preview/{draft.pk}/?as={as_reader}")
    html = response.content.decode()
    assert response.status_code == 200
    assert (SECRET in html) is secret_shown
    assert (f'data-paywall="{gate}"' in html) if gate else ("data-paywall" not in html)
    assert ("data-ad-slot" in html) is ads
    assert response["Cache-Control"] == "private, no-store"


def test_preview_is_closed_to_readers(client):
    draft = ArticleFactory(status="draft")
    url = f"/preview/{draft.pk}/?as=premium"
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(preview_user())
    assert client.get(f"/preview/{draft.pk}/?as=nobody").status_code == 400


def test_metered_reader_sees_the_free_articles_left_and_the_cache_keeps_counts_apart(client):
    from tests.factories import ArticleFactory as Make

    first, second = Make(access_level="metered"), Make(access_level="metered")
    page = client.get(first.get_absolute_url())
    assert b'data-meter-left="2"' in page.content
    page = client.get(second.get_absolute_url())
    assert b'data-meter-left="1"' in page.content
    # Another anonymous reader with a fresh meter must not get the cached "1 left".
    other = type(client)()
    page = other.get(second.get_absolute_url())
    assert b'data-meter-left="2"' in page.content
    assert b"RAHASIA-PARAGRAF-TIGA" in page.content
