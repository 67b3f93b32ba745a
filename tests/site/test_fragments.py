"""Shared fragments hold only what every reader sees, and follow publishes."""

import pytest

from tests.factories import ArticleFactory, SectionFactory
from website import fragments

pytestmark = pytest.mark.django_db

PER_READER = ("ad-slot", "data-meter-left", "data-paywall", "csrfmiddlewaretoken", "upsell")


def test_no_per_reader_markup_is_kept_in_a_shared_fragment(client):
    section = SectionFactory()
    articles = [ArticleFactory(section=section, access_level="metered") for _ in range(4)]
    ArticleFactory(section=section, is_editors_pick=True)
    client.get("/")
    response = client.get(articles[0].get_absolute_url())  # a metered read: notice + ads
    html = response.content.decode()
    assert "data-meter-left" in html  # the page has them...
    assert "ad-slot" in html
    lists = fragments.article_lists(section.pk)
    shared = [c.html for c in lists.latest + lists.picks + lists.in_section]
    shared += [str(v) for v in fragments.chrome().values()]
    blocks = fragments.home_blocks()
    shared += [str(v) for name, v in blocks.items() if name != "section_blocks"]
    shared += [str(v) for v in blocks["section_blocks"]]
    assert shared
    for text in shared:  # ...the fragments never
        for marker in PER_READER:
            assert marker not in text, (marker, text[:200])


def test_an_ad_free_reader_first_leaves_ads_for_everyone_else(client, adfree_reader):
    section = SectionFactory()
    article = ArticleFactory(section=section)
    ArticleFactory(section=section)
    client.force_login(adfree_reader)
    for path in ("/", article.get_absolute_url(), section.get_absolute_url()):
        assert "ad-slot" not in client.get(path).content.decode(), path
    client.logout()
    for path in ("/", article.get_absolute_url(), section.get_absolute_url()):
        assert "ad-slot" in client.get(path).content.decode(), path


def test_an_anonymous_reader_first_leaves_no_ads_for_an_ad_free_reader(client, adfree_reader):
    section = SectionFactory()
    article = ArticleFactory(section=section)
    ArticleFactory(section=section)
    for path in ("/", article.get_absolute_url(), section.get_absolute_url()):
        assert "ad-slot" in client.get(path).content.decode(), path
    client.force_login(adfree_reader)
    for path in ("/", article.get_absolute_url(), section.get_absolute_url()):
        assert "ad-slot" not in client.get(path).content.decode(), path


def test_a_publish_shows_at_once_in_the_shared_lists_of_other_pages(client):
    section = SectionFactory()
    old = ArticleFactory(section=section)
    client.get("/")
    client.get(old.get_absolute_url())
    new = ArticleFactory(section=section, headline="Kabar paling baru hari ini")
    assert new.headline in client.get("/").content.decode()
    other = ArticleFactory(section=section, headline="Satu lagi di rubrik ini")
    page = client.get(old.get_absolute_url()).content.decode()
    assert new.headline in page
    assert other.headline in page


def test_a_headline_from_a_fragment_is_escaped_like_any_other(client):
    section = SectionFactory()
    ArticleFactory(section=section, headline='<script>alert("x")</script> Rupiah')
    reader_page = ArticleFactory(section=section)
    client.get("/")
    for path in ("/", reader_page.get_absolute_url()):  # the second read is from the fragments
        html = client.get(path).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert" in html


def test_fragments_are_kept_per_language(client):
    section = SectionFactory()
    article = ArticleFactory(section=section)
    ArticleFactory(section=section)
    client.get(article.get_absolute_url())
    english = client.get("/en" + article.get_absolute_url()).content.decode()
    assert f'href="/en/rubrik/{section.slug}/"' in english
    assert "Latest news" in english


def test_a_list_page_reuses_cards_and_never_shows_a_stale_one(client, adfree_reader, monkeypatch):
    section = SectionFactory()
    article = ArticleFactory(section=section, headline="Judul pertama")
    ArticleFactory(section=section)
    assert "Judul pertama" in client.get(section.get_absolute_url()).content.decode()

    rendered = []
    real_render = fragments._render_card
    monkeypatch.setattr(
        fragments,
        "_render_card",
        lambda a, options: rendered.append(a.pk) or real_render(a, options),
    )
    client.force_login(adfree_reader)  # another cache class: a page miss, the same cards
    page = client.get(section.get_absolute_url()).content.decode()
    assert "Judul pertama" in page
    assert rendered == []

    article.headline = "Judul sesudah disunting"
    article.save()  # an edit bumps the lists generation
    page = client.get(section.get_absolute_url()).content.decode()
    assert "Judul sesudah disunting" in page
    assert "Judul pertama" not in page
    assert rendered == [article.pk]  # the other card is unchanged: not rendered again


def test_a_change_another_process_purged_shows_though_this_process_holds_the_fragment(client):
    """Shared fragments a process keeps in memory are keyed by the generations
    each request reads, so a purge made elsewhere (only the tokens in the shared
    cache change) is seen by the next request here."""
    from articles.models import Section
    from pagecache import store

    section = SectionFactory(name="Ekonomi Lama")
    article = ArticleFactory(section=section)
    assert "Ekonomi Lama" in client.get(article.get_absolute_url()).content.decode()
    Section.objects.filter(pk=section.pk).update(name="Ekonomi Baru")  # no signal here
    assert "Ekonomi Lama" in client.get("/").content.decode()  # still the fragment in memory

    from django.core.cache import cache

    cache.set(store.GLOBAL, 42, timeout=None)  # another process's purge_all: tokens only
    cache.set(store.LISTS, 43, timeout=None)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Ekonomi Baru" in html
    assert "Ekonomi Lama" not in html


CARD_OPTIONS = [
    {},
    {"photo": True, "heading": "h2"},
    {"photo": True, "heading": "h3"},
    {"photo": True, "big": True, "heading": "h2", "eager": True},
]


@pytest.mark.parametrize("options", CARD_OPTIONS)
def test_a_card_shows_nothing_but_its_card_fields(options):
    """A card is kept per process by ``pageblocks.CARD_FIELDS`` (and list pages
    render it from those fields alone): an article built from them alone must
    give the very HTML the whole article gives, or the key misses an input."""
    from articles.models import Article
    from tests.factories import PhotoFactory
    from website import pageblocks

    photo = PhotoFactory(renditions={"320.webp": "r/1/320.webp", "320.jpg": "r/1/320.jpg"})
    article = ArticleFactory(
        section=SectionFactory(parent=SectionFactory()),
        lead_photo=photo,
        access_level="premium",
        dek="Dek yang hanya tampil di kartu besar",
        is_editors_pick=True,
        dateline_city="Jakarta",
    )
    article = Article.objects.for_listing().get(pk=article.pk)
    whole = fragments._render_card(article, options)
    alone = fragments._render_card(
        pageblocks.card_article(pageblocks.card_values(article)), options
    )
    assert article.headline in whole
    assert alone == whole


def test_a_changed_card_field_renders_a_new_card_and_nothing_else_does():
    section = SectionFactory()
    article = ArticleFactory(section=section, headline="Judul lama")
    first = fragments.cards([article], photo=True)[0].html
    article.headline = "Judul baru"
    assert "Judul baru" in fragments.cards([article], photo=True)[0].html
    article.headline = "Judul lama"
    article.body = "<p>Isi yang berubah tidak tampil di kartu.</p>"
    assert fragments.cards([article], photo=True)[0].html == first
    section.name = "Rubrik berganti nama"
    assert "Rubrik berganti nama" in fragments.cards([article], photo=True)[0].html


def test_a_publish_keeps_the_menu_and_sidebar_and_a_section_change_rebuilds_them(
    client, monkeypatch
):
    from website import pageblocks

    section = SectionFactory(name="Ekonomi")
    ArticleFactory(section=section)
    draft = ArticleFactory(section=section, headline="Baru saja terbit", status="draft")
    client.get("/")
    built = []
    real = pageblocks.navigation_and_hot_topics
    monkeypatch.setattr(
        pageblocks,
        "navigation_and_hot_topics",
        lambda **kwargs: built.append(True) or real(**kwargs),
    )
    draft.status = "published"
    draft.save()  # a publish purges the lists
    assert "Baru saja terbit" in client.get("/").content.decode()
    assert built == []  # the menu and sidebar were not rebuilt for it
    section.name = "Ekonomi dan Bisnis"
    section.save()  # a section change purges everything
    assert "Ekonomi dan Bisnis" in client.get("/").content.decode()
    assert built == [True]
