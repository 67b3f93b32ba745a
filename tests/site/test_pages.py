"""Each reader page and its blocks, in both languages."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from articles.models import Article
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    GalleryFactory,
    GalleryPhotoFactory,
    RelatedArticleFactory,
    SectionFactory,
    TopicFactory,
)
from website.templatetags.site_tags import newsroom_datetime

pytestmark = pytest.mark.django_db


def test_home_shows_every_block_and_links_the_feed(client):
    economy = SectionFactory(name="Ekonomi", slug="ekonomi")
    hot = TopicFactory(name="Harga Emas", slug="harga-emas", is_hot=True)
    top = ArticleFactory(headline="Berita Paling Atas", section=economy, topics=[hot])
    pick = ArticleFactory(
        headline="Pilihan Redaksi Hari Ini",
        is_editors_pick=True,
        published_at=timezone.now() - timedelta(days=3),
    )
    gallery = GalleryFactory(title="Galeri Pelabuhan")
    GalleryPhotoFactory(gallery=gallery)

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<link rel="alternate" type="application/rss+xml"' in html
    assert top.headline in html
    assert pick.headline in html
    for block in ("Berita utama", "Berita terbaru", "Terpopuler", "Pilihan redaksi"):
        assert block in html
    assert "Topik hangat" in html
    assert "#Harga Emas" in html
    assert f'id="section-{economy.pk}-title"' in html
    assert "Galeri Pelabuhan" in html
    assert "E-paper hari ini" in html
    assert 'data-ad-slot="home-top"' in html
    assert '<html lang="id">' in html


def test_home_in_english_is_translated_and_says_so(client):
    ArticleFactory(headline="Judul Berita")
    response = client.get("/en/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Latest news" in html
    assert "Berita terbaru" not in html
    assert 'href="/en/' in html  # links stay in English


def test_language_switcher_links_the_same_page_in_the_other_language(client):
    article = ArticleFactory()
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'href="/en{article.get_absolute_url()}" hreflang="en"' in html


def test_date_line_reads_like_the_paper_in_both_languages():
    moment = datetime(2024, 6, 20, 7, 5, tzinfo=ZoneInfo("UTC"))
    with translation.override("id"):
        assert newsroom_datetime(moment) == "Kamis, 20 Juni 2024 | 14:05 WIB"
    with translation.override("en"):
        assert newsroom_datetime(moment) == "Thursday, 20 June 2024 | 14:05 WIB"


def test_article_page_has_the_anatomy_of_the_design(client):
    writer = AuthorFactory(name="Rina Paramitha")
    editor = AuthorFactory(name="Maya Kartika")
    topic = TopicFactory(name="Suku Bunga")
    article = ArticleFactory(
        headline="Bank Sentral Menahan Suku Bunga",
        dek="Keputusan diambil untuk menjaga rupiah.",
        authors=[writer],
        editor=editor,
        topics=[topic],
        source_attribution="Dikutip dari Reuters",
        dateline_city="Jakarta",
    )
    related = ArticleFactory(headline="Rupiah Menguat Pagi Ini")
    RelatedArticleFactory(article=article, related=related)
    same_section = ArticleFactory(section=article.section, headline="Kabar Lain Rubrik Ini")

    response = client.get(article.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-ad-slot="article-top"' in html
    assert f'href="{article.section.get_absolute_url()}"' in html
    assert "#Suku Bunga" in html
    assert '<h1 id="headline">Bank Sentral Menahan Suku Bunga</h1>' in html
    assert "Keputusan diambil untuk menjaga rupiah." in html
    assert "Rina Paramitha" in html
    assert "Editor: Maya Kartika" in html
    assert " WIB</time>" in html
    assert "<figcaption>" in html
    assert article.lead_photo.caption in html
    assert "Foto: Fotografer Uji" in html
    assert '<span class="dateline">Warta Niaga, JAKARTA –</span>' in html
    assert "data-article-body" in html
    assert "Dikutip dari Reuters" in html
    assert "Ikuti kami di Google News" in html
    assert "Artikel terkait" in html
    assert related.headline in html
    assert same_section.headline in html
    assert "Berita terbaru" in html
    assert "Pilihan redaksi" not in html
    assert 'data-ad-slot="article-middle"' in html
    assert "E-paper hari ini" in html
    assert 'rel="canonical"' in html


def test_old_slug_redirects_permanently_to_the_current_address(client):
    article = ArticleFactory(slug="judul-baru")
    old = article.get_absolute_url().replace("judul-baru", "judul-lama")
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_unpublished_and_future_articles_are_not_found(client):
    draft = ArticleFactory(status="draft")
    future = ArticleFactory(published_at=timezone.now() + timedelta(hours=2))
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(future.get_absolute_url()).status_code == 404


def test_section_page_lists_subsections_and_their_articles_with_pagination(client):
    parent = SectionFactory(name="Internasional", slug="internasional")
    child = SectionFactory(name="Bisnis Global", slug="bisnis-global", parent=parent)
    now = timezone.now()
    for n in range(22):
        ArticleFactory(
            section=child if n % 2 else parent,
            headline=f"Kabar Dunia {n:02d}",
            published_at=now - timedelta(minutes=n + 1),
        )

    first = client.get("/rubrik/internasional/").content.decode()
    second = client.get("/rubrik/internasional/?page=2").content.decode()

    assert "Bisnis Global" in first  # subsection navigation
    assert "Kabar Dunia 00" in first
    assert "Kabar Dunia 01" in first
    assert "Kabar Dunia 21" not in first
    assert "Kabar Dunia 21" in second
    assert "Halaman 2 dari 2" in second
    assert client.get("/rubrik/internasional/?page=3").status_code == 404
    assert client.get("/rubrik/internasional/?page=abc").status_code == 404
    assert client.get("/rubrik/tidak-ada/").status_code == 404


def test_topic_and_author_pages_list_their_articles(client):
    topic = TopicFactory(name="Kendaraan Listrik", slug="kendaraan-listrik")
    author = AuthorFactory(name="Dimas Prakoso", slug="dimas-prakoso")
    mine = ArticleFactory(topics=[topic], authors=[author], headline="Pabrik Baterai Dibuka")
    other = ArticleFactory(headline="Berita Lain Sama Sekali")
    topic_html = client.get("/topik/kendaraan-listrik/").content.decode()
    author_html = client.get("/penulis/dimas-prakoso/").content.decode()
    assert mine.headline in topic_html
    assert other.headline not in topic_html
    assert mine.headline in author_html
    assert other.headline not in author_html
    assert "/rss/topik/kendaraan-listrik/" in topic_html


def test_gallery_page_shows_photos_in_order_with_captions_and_credits(client):
    gallery = GalleryFactory(title="Panen Raya")
    GalleryPhotoFactory(gallery=gallery, position=1, caption="Foto kedua")
    GalleryPhotoFactory(gallery=gallery, position=0, caption="Foto pertama")
    html = client.get(gallery.get_absolute_url()).content.decode()
    assert html.index("Foto pertama") < html.index("Foto kedua")
    assert "Foto: Fotografer Uji" in html
    unpublished = GalleryFactory(published_at=None)
    assert client.get(unpublished.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("slug", "text"),
    [("tentang", "Tentang kami"), ("kontak", "Kontak"), ("syarat-langganan", "Pengembalian dana")],
)
def test_static_pages(client, slug, text):
    response = client.get(f"/halaman/{slug}/")
    assert response.status_code == 200
    assert text in response.content.decode()


def test_not_found_page_is_in_the_site_design(client):
    response = client.get("/tidak/ada/halaman/ini/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in html
    assert 'class="site-header"' in html


def test_server_error_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "Terjadi gangguan" in html
    assert "site.css" in html


def test_ad_free_reader_sees_no_ad_slot_anywhere(client, adfree_reader):
    article = ArticleFactory()
    client.force_login(adfree_reader)
    for url in ("/", article.get_absolute_url(), f"/rubrik/{article.section.slug}/"):
        html = client.get(url).content.decode()
        assert "data-ad-slot" not in html, url
        assert "Bebas Iklan" not in html, url  # no upsell either


def test_signed_in_page_carries_no_personal_data(client, premium_reader):
    article = ArticleFactory()
    client.force_login(premium_reader)
    html = client.get(article.get_absolute_url()).content.decode()
    assert premium_reader.username not in html
    assert "csrfmiddlewaretoken" not in html
    assert 'href="/keluar/"' in html


def test_an_article_page_reads_its_related_block_as_rows(client, monkeypatch):
    """The related block's cards are made from card rows: an uncached article
    page builds a model instance of its own article only (five related articles
    with their sections and photos as instances cost three times their rows)."""
    topic = TopicFactory()
    article = ArticleFactory(topics=[topic])
    curated = ArticleFactory(headline="Pilihan Kurasi Redaksi")
    RelatedArticleFactory(article=article, related=curated)
    sharing = [ArticleFactory(topics=[topic], headline=f"Topik Yang Sama {n}") for n in range(3)]
    built = []
    from_db = Article.from_db.__func__

    def counted(cls, db, field_names, values):
        built.append(values[0])
        return from_db(cls, db, field_names, values)

    monkeypatch.setattr(Article, "from_db", classmethod(counted))
    html = client.get(article.get_absolute_url()).content.decode()

    related = html[html.index('id="related-title"') :]
    assert all(a.headline in related for a in [curated, *sharing])
    assert related.index(curated.headline) < related.index(sharing[-1].headline)  # curated first
    assert built == [article.pk]
