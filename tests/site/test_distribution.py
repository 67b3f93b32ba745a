"""JSON-LD, feeds, sitemaps and robots.txt, parsed and checked."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, TopicFactory
from website.sitemaps import ArticleSitemap

from .conftest import json_ld, meta_content

pytestmark = pytest.mark.django_db

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


def test_free_article_json_ld_describes_the_news_article(client):
    writer = AuthorFactory(name="Sekar Ayuningtyas")
    article = ArticleFactory(
        headline="Startup Logistik Raih Pendanaan",
        authors=[writer],
        topics=[TopicFactory(name="Startup")],
        lead_photo__renditions={"1280.jpg": "r/a-1280.jpg", "640.webp": "r/a-640.webp"},
    )
    html = client.get(article.get_absolute_url()).content.decode()
    (data,) = json_ld(html)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == article.headline
    assert data["isAccessibleForFree"] is True
    assert "hasPart" not in data
    assert data["author"][0]["name"] == "Sekar Ayuningtyas"
    assert data["publisher"]["name"] == "Warta Niaga"
    assert data["articleSection"] == article.section.name
    assert data["keywords"] == ["Startup"]
    assert data["image"][0]["url"].endswith("/media/r/a-1280.jpg")
    assert data["image"][0]["width"] == 1280
    assert data["image"][0]["height"] == 720
    assert data["datePublished"].startswith(str(article.published_at.year))
    assert meta_content(html, "og:image").endswith("/media/r/a-1280.jpg")
    assert meta_content(html, "twitter:card") == "summary_large_image"
    assert meta_content(html, "og:url") == f"http://127.0.0.1:8000{article.get_absolute_url()}"


def test_seo_description_wins_over_the_dek(client):
    article = ArticleFactory(seo_description="Ringkasan untuk mesin pencari.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert meta_content(html, "description") == "Ringkasan untuk mesin pencari."


def test_site_section_and_topic_feeds_are_valid_rss(client):
    section = SectionFactory(slug="market", name="Market")
    topic = TopicFactory(slug="ihsg", name="IHSG")
    in_both = ArticleFactory(section=section, topics=[topic], headline="IHSG Menguat")
    elsewhere = ArticleFactory(headline="Kabar Lain")
    for url, expected, absent in [
        ("/rss/", {in_both.headline, elsewhere.headline}, set()),
        ("/rss/rubrik/market/", {in_both.headline}, {elsewhere.headline}),
        ("/rss/topik/ihsg/", {in_both.headline}, {elsewhere.headline}),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"].startswith("public")
        channel = ET.fromstring(response.content).find("channel")  # noqa: S314 - our own response
        titles = {item.findtext("title") for item in channel.findall("item")}
        assert expected <= titles, url
        assert not (absent & titles), url
        item = channel.find("item")
        assert item.findtext("link").startswith("http")
        assert item.findtext("pubDate")
    assert client.get("/rss/rubrik/tidak-ada/").status_code == 404


def test_sitemap_index_lists_paginated_sitemaps_and_the_news_sitemap(client, settings):
    settings.SITE_URL = "https://wartaniaga.example"
    ArticleFactory()
    root = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own response
    locs = [el.text for el in root.iter(f"{SM}loc")]
    assert "https://wartaniaga.example/sitemap-articles.xml" in locs
    assert "https://wartaniaga.example/sitemap-news.xml" in locs
    assert all(loc.startswith("https://wartaniaga.example/") for loc in locs)


def test_article_sitemap_is_paginated_and_lists_only_live_articles(client, settings, monkeypatch):
    settings.SITE_URL = "https://wartaniaga.example"
    live = ArticleFactory()
    draft = ArticleFactory(status="draft")
    ArticleFactory()
    monkeypatch.setattr(ArticleSitemap, "limit", 1)
    index = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own response
    locs = [el.text for el in index.iter(f"{SM}loc")]
    assert "https://wartaniaga.example/sitemap-articles.xml?p=2" in locs  # two live ones
    assert "https://wartaniaga.example/sitemap-articles.xml?p=3" not in locs
    monkeypatch.setattr(ArticleSitemap, "limit", 1000)
    root = ET.fromstring(client.get("/sitemap-articles.xml").content)  # noqa: S314 - our own response
    urls = [el.text for el in root.iter(f"{SM}loc")]
    assert f"https://wartaniaga.example{live.get_absolute_url()}" in urls
    assert not any(draft.slug in u for u in urls)


def test_news_sitemap_holds_the_last_48_hours(client):
    fresh = ArticleFactory(headline="Baru Saja Terbit")
    old = ArticleFactory(published_at=timezone.now() - timedelta(hours=49))
    root = ET.fromstring(client.get("/sitemap-news.xml").content)  # noqa: S314 - our own response
    titles = [el.text for el in root.iter(f"{NEWS}title")]
    assert fresh.headline in titles
    assert old.headline not in titles
    assert root.find(f"{SM}url/{NEWS}news/{NEWS}publication/{NEWS}language").text == "id"


def test_robots_txt_names_the_sitemaps_and_hides_private_areas(client):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in text
    assert "Sitemap: http://127.0.0.1:8000/sitemap-news.xml" in text
    assert "Disallow: /preview/" in text
    assert "Disallow: /admin/" in text
