"""The body's embedded blocks: one markup from the editor to the reader, one allow-list."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from articles.body_blocks import PhotoBlock, ReadAlsoBlock, body_blocks, parse_block
from articles.body_policy import sanitize_html
from articles.models import Article, Revision
from articles.rendering import feed_html, render_body
from articles.sanitize import clean_body
from desk.editor_blocks import editor_body
from tests.factories import AgencyFactory, ArticleFactory, PhotoFactory, UserFactory

Status = Article.Status


# --- The sanitizer on nodes ------------------------------------------------------


@pytest.mark.parametrize(
    "node",
    [
        '<figure data-photo-id="7"><script>alert(1)</script></figure>',
        '<figure data-photo-id="7" onerror="alert(1)" onclick="x()"></figure>',
        '<figure data-photo-id="7"><img src="https://evil.example/x.png" onerror="x()"></figure>',
        '<figure data-photo-id="7" src="https://evil.example/x.js" style="x" class="y"></figure>',
        '<figure data-photo-id="7"><iframe src="https://evil.example/"></iframe></figure>',
        '<figure data-photo-id="7" data-thumb="https://evil.example/t.jpg"></figure>',
    ],
)
def test_a_photo_node_with_a_script_a_handler_or_a_foreign_src_is_stripped(node):
    assert clean_body(node) == '<figure data-photo-id="7"></figure>'


@pytest.mark.parametrize(
    "node",
    [
        '<aside data-read-also="8"><script>alert(1)</script></aside>',
        '<aside data-read-also="8" onmouseover="alert(1)"></aside>',
        '<aside data-read-also="8"><a href="javascript:alert(1)">x</a></aside>',
        '<aside data-read-also="8" data-title="<img src=x onerror=alert(1)>"></aside>',
    ],
)
def test_a_read_also_node_keeps_only_its_article_id(node):
    assert clean_body(node) == '<aside data-read-also="8"></aside>'


def test_caption_and_credit_overrides_are_plain_text_attributes():
    dirty = (
        '<figure data-photo-id="7" data-caption="Banjir &quot;rob&quot; <script>x</script>'
        ' &amp; Pasar\x01 Ikan" data-credit="  Rina  /  Antara  "></figure>'
    )
    clean = clean_body(dirty)
    assert clean == (
        '<figure data-photo-id="7" data-caption="Banjir &quot;rob&quot; script x /script'
        ' &amp; Pasar Ikan" data-credit="Rina / Antara"></figure>'
    )
    assert parse_block(clean) == PhotoBlock(
        7, 'Banjir "rob" script x /script & Pasar Ikan', "Rina / Antara"
    )
    # The render-time pass and a second save change nothing.
    assert sanitize_html(clean) == clean
    assert clean_body(clean) == clean


def test_an_attribute_breakout_cannot_reach_the_page():
    clean = clean_body('<figure data-photo-id="7" data-caption=\'"><script>alert(1)</script>\'>')
    assert "<script" not in clean
    assert parse_block(clean).caption == '" script alert(1) /script'


def test_nodes_inside_other_blocks_are_dropped_and_ids_stay_numbers():
    clean = clean_body(
        '<p>a<figure data-photo-id="1"></figure></p><blockquote><aside data-read-also="2">'
        '</aside></blockquote><figure data-photo-id="1 onerror=x"></figure>'
    )
    assert body_blocks(clean) == [PhotoBlock(1)]  # the figure nh3 moved out of the <p>
    assert "onerror" not in clean
    assert "data-read-also" not in clean


def test_shortcodes_are_still_read_on_save():
    clean = clean_body("<p>[[foto:5]]</p><p>[[baca-juga:9]]</p>")
    assert body_blocks(clean) == [PhotoBlock(5), ReadAlsoBlock(9)]


# --- Rendering ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_site_renders_current_renditions_and_this_uses_caption_and_credit():
    photo = PhotoFactory(caption="Caption pustaka", credit="Fotografer", agency=AgencyFactory())
    plain = render_body(f'<figure data-photo-id="{photo.pk}"></figure>')
    assert "Caption pustaka" in plain
    assert f"Fotografer / {photo.agency.name}" in plain
    overridden = render_body(
        PhotoBlock(photo.pk, "Keterangan <khusus> & lain", "Agus / Reuters").html()
    )
    assert "Keterangan khusus &amp; lain" in overridden  # escaped, no markup
    assert "Agus / Reuters" in overridden
    assert "Caption pustaka" not in overridden
    assert "Fotografer" not in overridden
    assert photo.image.url in overridden


@pytest.mark.django_db
def test_a_read_also_block_shows_a_title_and_link_only_never_the_other_articles_text():
    premium = ArticleFactory(access_level=Article.AccessLevel.PREMIUM, headline="Laporan khusus")
    html = render_body(ReadAlsoBlock(premium.pk).html())
    assert "Laporan khusus" in html
    assert premium.get_absolute_url() in html
    assert "RAHASIA" not in html
    assert "Paragraf pembuka" not in html
    assert "Ringkasan" not in html  # not even the dek
    draft = ArticleFactory(status=Status.DRAFT, published_at=None, headline="Belum terbit")
    assert "Belum terbit" not in render_body(ReadAlsoBlock(draft.pk).html())


@pytest.mark.django_db
def test_a_gated_reader_gets_no_block_past_the_teaser(client):
    photo = PhotoFactory(caption="Foto di balik gerbang")
    article = ArticleFactory(
        access_level=Article.AccessLevel.PREMIUM,
        body="\n".join(
            [
                "<p>Satu</p>",
                "<p>Dua</p>",
                PhotoBlock(photo.pk, "RAHASIA-KETERANGAN").html(),
                "<p>RAHASIA-PARAGRAF-TIGA</p>",
            ]
        ),
    )
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Satu" in html
    assert "Dua" in html
    assert "RAHASIA" not in html
    assert "Foto di balik gerbang" not in html


def test_feeds_leave_blocks_out():
    assert feed_html('<p>a</p>\n<figure data-photo-id="3" data-caption="x"></figure>') == "<p>a</p>"


# --- The editor's view of the body -------------------------------------------------


@pytest.mark.django_db
def test_the_editor_sees_thumbnail_library_text_and_headline_and_saving_it_changes_nothing():
    photo = PhotoFactory(caption='Pasar "pagi"', credit="Laras")
    other = ArticleFactory(headline="Harga cabai naik")
    stored = clean_body(
        "<p>Isi</p>"
        + PhotoBlock(photo.pk, credit="Laras / Antara").html()
        + ReadAlsoBlock(other.pk).html()
        + '<figure data-photo-id="999999"></figure>'
    )
    shown = editor_body(stored)
    assert 'data-library-caption="Pasar &quot;pagi&quot;"' in shown
    assert 'data-credit="Laras / Antara"' in shown
    assert 'data-library-credit="Laras"' in shown
    assert "data-thumb=" in shown
    assert 'data-title="Harga cabai naik"' in shown
    assert 'data-photo-id="999999" data-missing="1"' in shown
    # What the editor sends back (display attributes included) saves as it was.
    assert clean_body(shown) == stored


# --- The data migration -----------------------------------------------------------

migration = importlib.import_module("articles.migrations.0008_shortcodes_to_body_blocks")


def test_the_migration_moves_shortcode_paragraphs_to_blocks_and_back():
    old = "<p>Satu</p><p>[[foto:5]]</p>\n<p> [[ Baca-Juga : 9 ]] </p><p>Teks [[foto:5]] tengah</p>"
    moved = migration.shortcodes_to_blocks(old)
    assert moved.splitlines() == [
        "<p>Satu</p>",
        '<figure data-photo-id="5"></figure>',
        '<aside data-read-also="9"></aside>',
        "<p>Teks [[foto:5]] tengah</p>",
    ]
    assert clean_body(moved) == moved  # what the services would have stored
    overridden = PhotoBlock(5, "Keterangan", "Kredit").html()
    assert (
        migration.blocks_to_bare_placeholders(f"<p>a</p>\n{overridden}")
        == '<p>a</p>\n<figure data-photo-id="5"></figure>'
    )


@pytest.mark.django_db(transaction=True)
def test_the_migration_runs_forwards_and_backwards_on_articles_and_revisions():
    before = ("articles", "0007_verbose_names")
    after = ("articles", "0008_shortcodes_to_body_blocks")
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([before])
        executor.loader.build_graph()
        old_apps = executor.loader.project_state([before]).apps
        OldArticle = old_apps.get_model("articles", "Article")
        OldRevision = old_apps.get_model("articles", "Revision")
        OldSection = old_apps.get_model("articles", "Section")
        section = OldSection.objects.create(name="Ekonomi", slug="ekonomi-migrasi")
        body = "<p>Satu</p>\n<p>[[foto:5]]</p>\n<p>[[baca-juga:9]]</p>"
        article = OldArticle.objects.create(
            headline="Lama", slug="lama", section=section, body=body, status="draft"
        )
        OldRevision.objects.create(article=article, version=1, body=body, data={})

        executor = MigrationExecutor(connection)
        executor.migrate([after])
        expected = (
            '<p>Satu</p>\n<figure data-photo-id="5"></figure>\n<aside data-read-also="9"></aside>'
        )
        assert Article.objects.get(pk=article.pk).body == expected
        assert Revision.objects.get(article_id=article.pk).body == expected

        Article.objects.filter(pk=article.pk).update(
            body=expected.replace('="5">', '="5" data-caption="Khusus">')
        )
        executor = MigrationExecutor(connection)
        executor.migrate([before])
        assert OldArticle.objects.get(pk=article.pk).body == expected
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)


@pytest.mark.django_db
def test_restoring_an_old_revision_with_shortcodes_renders_its_blocks():
    from django.utils import timezone

    from core.roles import EDITOR
    from publishing import actions

    editor = UserFactory(role=EDITOR)
    photo = PhotoFactory(caption="Foto lama")
    article = ArticleFactory(status=Status.DRAFT, published_at=None)
    old = Revision.objects.create(
        article=article,
        version=article.version,
        body=f"<p>Versi lama</p>\n<p>[[foto:{photo.pk}]]</p>",
        data={"headline": article.headline, "slug": article.slug, "section": article.section_id},
    )
    restored = actions.restore_revision(
        revision_id=old.pk, by=editor, expected_version=article.version, now=timezone.now()
    )
    assert restored.body == f'<p>Versi lama</p>\n<figure data-photo-id="{photo.pk}"></figure>'
    assert "Foto lama" in render_body(restored.body)
