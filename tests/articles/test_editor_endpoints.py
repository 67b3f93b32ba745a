"""The change form's pickers: photo search and upload, the "Read also" autocomplete."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from articles.models import Article, Photo
from core.roles import EDITOR, REPORTER, SUBSCRIPTION_STAFF
from tests.factories import ArticleFactory, PhotoFactory, UserFactory, image_bytes

pytestmark = pytest.mark.django_db

PHOTOS = "/admin/desk/photos/"
UPLOAD = "/admin/desk/photos/upload/"
ARTICLES = "/admin/desk/articles/"


def test_the_photo_picker_finds_by_caption_credit_or_id_with_thumbnails(client):
    client.force_login(UserFactory(role=REPORTER))
    harbour = PhotoFactory(caption="Perahu di dermaga", credit="Rina")
    PhotoFactory(caption="Lantai bursa", credit="Agus")
    found = client.get(PHOTOS, {"q": "dermaga"}).json()["results"]
    assert [p["id"] for p in found] == [harbour.pk]
    assert found[0]["thumb"].endswith(".jpg")
    assert found[0]["caption"] == "Perahu di dermaga"
    assert found[0]["credit"] == "Rina"
    assert [p["id"] for p in client.get(PHOTOS, {"q": "agus"}).json()["results"]] != [harbour.pk]
    assert [p["id"] for p in client.get(PHOTOS, {"q": f"#{harbour.pk}"}).json()["results"]] == [
        harbour.pk
    ]
    assert len(client.get(PHOTOS).json()["results"]) == 2  # latest first, no query


def test_the_photo_search_costs_the_same_for_many_photos(client, django_assert_max_num_queries):
    client.force_login(UserFactory(role=REPORTER))
    PhotoFactory.create_batch(8)
    with django_assert_max_num_queries(6):  # session, user, permissions, the photos
        assert len(client.get(PHOTOS).json()["results"]) == 8


def test_pickers_are_for_staff_with_the_permission_only(client):
    ArticleFactory(headline="Harga beras naik")
    photos = Photo.objects.count()
    # Anonymous: the admin's login page, no data.
    for url in (PHOTOS, f"{ARTICLES}?q=beras"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    # A reader account without staff status: the same.
    client.force_login(UserFactory())
    assert client.get(PHOTOS).status_code == 302
    # Staff without the content permissions (subscription desk): 403.
    client.force_login(UserFactory(role=SUBSCRIPTION_STAFF, is_staff=True))
    assert client.get(PHOTOS).status_code == 403
    assert client.get(ARTICLES, {"q": "beras"}).status_code == 403
    upload = SimpleUploadedFile("a.jpg", image_bytes(), content_type="image/jpeg")
    assert client.post(UPLOAD, {"image": upload}).status_code == 403
    assert Photo.objects.count() == photos


def test_a_bad_search_is_a_400_with_a_reason(client):
    client.force_login(UserFactory(role=REPORTER))
    response = client.get(PHOTOS, {"q": "x" * 101})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"
    assert client.get(ARTICLES, {"q": "a\x00b"}).status_code == 400


def test_upload_in_place_adds_the_photo_to_the_library(client):
    reporter = UserFactory(role=REPORTER)
    client.force_login(reporter)
    upload = SimpleUploadedFile("perahu.jpg", image_bytes(), content_type="image/jpeg")
    response = client.post(
        UPLOAD, {"image": upload, "caption": "Perahu listrik", "credit": "Rina", "alt_text": "x"}
    )
    assert response.status_code == 201, response.content
    photo = Photo.objects.get(pk=response.json()["id"])
    assert photo.caption == "Perahu listrik"
    assert photo.uploaded_by == reporter
    assert response.json()["thumb"]


def test_upload_refuses_what_is_not_an_image_with_a_reason_and_no_row(client):
    client.force_login(UserFactory(role=REPORTER))
    fake = SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = client.post(UPLOAD, {"image": fake, "caption": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_image"
    assert response.json()["error"]["message"]
    missing = client.post(UPLOAD, {"caption": "x"})
    assert missing.status_code == 400
    assert Photo.objects.count() == 0


def test_upload_needs_the_csrf_token(client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(UserFactory(role=REPORTER))
    upload = SimpleUploadedFile("a.jpg", image_bytes(), content_type="image/jpeg")
    assert csrf_client.post(UPLOAD, {"image": upload}).status_code == 403
    assert Photo.objects.count() == 0


def test_read_also_autocomplete_finds_published_articles_by_headline_only(client):
    client.force_login(UserFactory(role=REPORTER))
    live = ArticleFactory(headline="Harga beras naik lagi", access_level="premium")
    ArticleFactory(headline="Harga beras turun", status=Article.Status.DRAFT, published_at=None)
    ArticleFactory(headline="Cuaca cerah")
    found = client.get(ARTICLES, {"q": "beras"}).json()["results"]
    assert [a["id"] for a in found] == [live.pk]
    assert found[0]["headline"] == "Harga beras naik lagi"
    assert found[0]["url"] == live.get_absolute_url()
    # A title and a link only: none of the (premium) article's text.
    assert set(found[0]) == {"id", "headline", "url", "published"}
    assert "RAHASIA" not in str(found)
    assert client.get(ARTICLES, {"q": "beras", "exclude": live.pk}).json()["results"] == []
    assert client.get(ARTICLES, {"q": "b"}).json()["results"] == []


def test_editors_insert_a_photo_node_and_the_site_shows_its_own_caption(client):
    client.force_login(UserFactory(role=EDITOR))
    photo = PhotoFactory(caption="Keterangan pustaka")
    article = ArticleFactory()
    from tests.articles.test_admin import change_url, form_data

    node = (
        f'<figure data-photo-id="{photo.pk}" data-caption="Keterangan di artikel ini"'
        f' data-thumb="/evil.jpg" data-library-caption="Keterangan pustaka"></figure>'
    )
    response = client.post(change_url(article), form_data(article, body=f"<p>Isi</p>{node}"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == (
        f'<p>Isi</p>\n<figure data-photo-id="{photo.pk}" data-caption="Keterangan di artikel ini">'
        "</figure>"
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Keterangan di artikel ini" in page
    assert "Keterangan pustaka" not in page


def test_the_body_editor_loads_in_both_admin_languages(client):
    """The editor's import map is an inline script: no reader-site CSP on the admin,
    in Indonesian (/admin/) or English (/en/admin/); reader pages keep theirs."""
    client.force_login(UserFactory(role=EDITOR))
    article = ArticleFactory()
    for prefix in ("", "/en"):
        response = client.get(f"{prefix}/admin/articles/article/{article.pk}/change/")
        assert response.status_code == 200
        assert "Content-Security-Policy" not in response
        assert b'type="importmap"' in response.content
        assert b"desk/body-blocks.js" in response.content
    assert "Content-Security-Policy" in client.get(f"/en{article.get_absolute_url()}")
