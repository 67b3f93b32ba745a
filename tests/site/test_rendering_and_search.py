"""Body rendering (photos, read-also), pictures from renditions, and search."""

import pytest
from django.db import connection

from articles.rendering import picture_html, render_body
from paywall.rights import ANONYMOUS
from tests.conftest import requires_postgres
from tests.factories import ArticleFactory, PhotoFactory
from website.search import search_articles
from website.search_plans import CONFIG

pytestmark = pytest.mark.django_db


def test_picture_uses_webp_and_jpeg_renditions_with_fixed_size():
    photo = PhotoFactory(
        renditions={
            f"{w}.{fmt}": f"r/p-{w}.{fmt}" for w in (320, 640, 960) for fmt in ("webp", "jpg")
        }
    )
    html = picture_html(photo, max_width=640)
    assert '<source type="image/webp" srcset="/media/r/p-320.webp 320w, ' in html
    assert 'src="/media/r/p-640.jpg"' in html
    assert 'width="640" height="360"' in html
    assert f'alt="{photo.alt_text}"' in html


def test_picture_without_renditions_falls_back_to_the_original_at_a_bounded_size():
    photo = PhotoFactory()  # 800 x 500, no renditions yet
    html = picture_html(photo, max_width=320)
    assert f'src="{photo.image.url}"' in html
    assert 'width="320" height="200"' in html


def test_body_placeholders_become_figures_and_read_also_blocks(django_assert_num_queries):
    photos = [PhotoFactory(caption=f"Keterangan {n}") for n in range(3)]
    others = [ArticleFactory(headline=f"Bacaan {n}") for n in range(3)]
    draft = ArticleFactory(status="draft", headline="Draf Rahasia")
    body = "\n".join(
        ["<p>Satu.</p>"]
        + [f'<figure data-photo-id="{p.pk}"></figure>' for p in photos]
        + [f'<aside data-read-also="{a.pk}"></aside>' for a in [*others, draft]]
        + ['<figure data-photo-id="999999"></figure>', "<p>Dua <script>alert(1)</script></p>"]
    )
    with django_assert_num_queries(2):
        html = render_body(body, dateline="Warta Niaga, JAKARTA –")
    assert html.startswith('<p><span class="dateline">Warta Niaga, JAKARTA –</span> Satu.</p>')
    assert all(f"Keterangan {n}" in html for n in range(3))
    assert html.count('class="read-also"') == 3
    assert "Baca juga" in html
    assert "Draf Rahasia" not in html  # unpublished articles are not linked
    assert "<script" not in html


def test_search_ranks_headline_matches_and_marks_the_words(client):
    ArticleFactory(headline="Harga Emas Naik Lagi", dek="Emas batangan diburu.")
    ArticleFactory(headline="Kabar Pasar", dek="Tidak ada hubungannya.")
    html = client.get("/search/?q=emas").content.decode()
    assert "Harga Emas Naik Lagi" in html
    assert "Kabar Pasar" not in html
    assert "<mark>Emas</mark>" in html


def test_search_escapes_the_query_and_handles_empty_or_long_input(client):
    assert client.get("/search/").status_code == 200
    response = client.get("/search/?q=" + "<b>x</b>" * 100)
    assert response.status_code == 200
    assert "<b>x</b>" not in response.content.decode()


@requires_postgres
def test_postgres_search_uses_the_gin_index_and_ranks_headline_first():
    title_hit = ArticleFactory(headline="Nikel untuk baterai", dek="")
    body_hit = ArticleFactory(headline="Kabar tambang", body="<p>Ekspor nikel naik.</p>")
    results = [r.pk for r in search_articles("nikel", rights=ANONYMOUS)]
    assert results == [title_hit.pk, body_hit.pk]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM articles_article"
            " WHERE search_title @@ websearch_to_tsquery(%s::regconfig, %s)",
            [CONFIG, "nikel"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_search_title_vec_gin" in plan


@requires_postgres
def test_postgres_search_vectors_follow_edits():
    """The stored vectors are rewritten by the database on every edit."""
    article = ArticleFactory(headline="Kabar tambang", dek="", body="<p>Ekspor naik.</p>")
    assert search_articles("batubara", rights=ANONYMOUS) == []
    article.headline = "Kabar batubara"
    article.save()
    assert [r.pk for r in search_articles("batubara", rights=ANONYMOUS)] == [article.pk]
    article.body = "<p>Ekspor tembaga naik.</p>"
    article.save()
    assert [r.pk for r in search_articles("tembaga", rights=ANONYMOUS)] == [article.pk]
