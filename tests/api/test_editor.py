"""Editor endpoints: tokens with scopes, the same role rules and services as the admin."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from articles.models import Article, ArticleTransition, Photo, RelatedArticle
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    PhotoFactory,
    SectionFactory,
    TopicFactory,
    UserFactory,
    image_bytes,
)

from .conftest import assert_error, auth, make_token

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

EDITOR = "/api/v1/editor"


def post_json(client, url, data, token):
    return client.post(url, data, content_type="application/json", **auth(token))


def patch_json(client, url, data, token):
    return client.patch(url, data, content_type="application/json", **auth(token))


def test_reporter_creates_a_draft_with_sanitized_body(client, reporter):
    token = make_token(reporter, "read", "write")
    section, topic, author = SectionFactory(), TopicFactory(), AuthorFactory()

    response = post_json(
        client,
        f"{EDITOR}/articles",
        {
            "headline": "Harga cabai naik",
            "section_id": section.pk,
            "topic_ids": [topic.pk],
            "author_ids": [author.pk],
            "body": '<p onclick="x()">Satu</p><script>alert(1)</script>'
            '<p><a href="javascript:alert(1)">dua</a></p>',
        },
        token,
    )

    assert response.status_code == 201, response.content
    draft = response.json()
    article = Article.objects.get(pk=draft["id"])
    assert article.status == "draft"
    assert article.created_by == reporter
    assert draft["topic_ids"] == [topic.pk]
    assert draft["author_ids"] == [author.pk]
    assert "script" not in article.body
    assert "onclick" not in article.body
    assert "javascript" not in article.body
    assert "<p>Satu</p>" in article.body
    assert response["Cache-Control"] == "private, no-store"


def test_unknown_ids_and_bad_input_are_422_and_write_nothing(client, reporter):
    token = make_token(reporter, "write")
    error = assert_error(
        post_json(client, f"{EDITOR}/articles", {"headline": "X", "topic_ids": [999]}, token),
        422,
        "invalid_input",
    )
    assert "topic_ids" in error["details"]
    assert_error(post_json(client, f"{EDITOR}/articles", {"headline": ""}, token), 422)
    assert_error(
        client.post(
            f"{EDITOR}/articles", "{not json", content_type="application/json", **auth(token)
        ),
        400,
    )
    assert not Article.objects.exists()


def test_read_scope_cannot_write(client, editor):
    token = make_token(editor, "read")
    assert_error(post_json(client, f"{EDITOR}/articles", {"headline": "X"}, token), 403)


def test_reader_with_a_write_token_has_no_editor_rights(client, registered):
    token = make_token(registered, "read", "write", "publish")
    article = ArticleFactory(status=Article.Status.DRAFT)
    assert_error(post_json(client, f"{EDITOR}/articles", {"headline": "X"}, token), 403)
    assert_error(client.get(f"{EDITOR}/articles/{article.pk}", **auth(token)), 404)


def test_editor_endpoints_need_a_token_not_a_session(client, editor):
    client.force_login(editor)
    assert_error(post_json(client, f"{EDITOR}/articles", {"headline": "X"}, "nope"), 401)
    assert_error(client.get(f"{EDITOR}/articles/1"), 401)


def test_reporter_cannot_open_or_edit_another_writers_article(client, reporter):
    other = ArticleFactory(status=Article.Status.DRAFT, created_by=UserFactory())
    token = make_token(reporter, "read", "write")
    assert_error(client.get(f"{EDITOR}/articles/{other.pk}", **auth(token)), 404)
    assert_error(
        patch_json(client, f"{EDITOR}/articles/{other.pk}", {"version": 1, "dek": "x"}, token),
        404,
    )


def test_edit_with_a_stale_version_is_refused(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT, body="<p>Awal</p>")
    token = make_token(editor, "read", "write")
    url = f"{EDITOR}/articles/{article.pk}"

    first = patch_json(client, url, {"version": 1, "dek": "Versi editor A"}, token)
    assert first.status_code == 200, first.content
    assert first.json()["version"] == 2

    second = patch_json(client, url, {"version": 1, "dek": "Versi editor B"}, token)
    error = assert_error(second, 409, "version_conflict")
    assert error["details"] == {
        "current_version": 2,
        "saved_by": editor.get_full_name() or editor.get_username(),
    }
    assert "version 2" in error["message"]
    article.refresh_from_db()
    assert article.dek == "Versi editor A"
    # The admin's write path: every API save keeps a restorable revision.
    assert list(article.revisions.order_by("version").values_list("version", flat=True)) == [1, 2]


def test_reporters_token_cannot_publish_or_schedule(client, reporter):
    article = ArticleFactory(status=Article.Status.DRAFT, created_by=reporter)
    token = make_token(reporter, "read", "write", "publish")

    error = assert_error(
        post_json(client, f"{EDITOR}/articles/{article.pk}/publish", {}, token), 403, "forbidden"
    )
    assert "publish" in error["message"]
    assert_error(
        post_json(
            client,
            f"{EDITOR}/articles/{article.pk}/schedule",
            {"publish_at": (timezone.now() + timedelta(days=1)).isoformat()},
            token,
        ),
        403,
    )
    article.refresh_from_db()
    assert article.status == "draft"


def test_reporter_submits_and_editor_publishes(client, reporter, editor):
    article = ArticleFactory(status=Article.Status.DRAFT, created_by=reporter, published_at=None)
    reporter_token = make_token(reporter, "write")
    editor_token = make_token(editor, "write", "publish")

    submitted = post_json(
        client, f"{EDITOR}/articles/{article.pk}/submit", {"note": "siap"}, reporter_token
    )
    assert submitted.json()["status"] == "in_review"

    published = post_json(client, f"{EDITOR}/articles/{article.pk}/publish", {}, editor_token)
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"
    log = list(ArticleTransition.objects.filter(article=article).order_by("at", "pk"))
    assert [(t.to_status, t.by) for t in log] == [("in_review", reporter), ("published", editor)]
    assert client.get(f"/api/v1/articles/{article.pk}").status_code == 200


def test_publish_scope_is_needed_even_for_an_editor(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT)
    token = make_token(editor, "read", "write")
    assert_error(post_json(client, f"{EDITOR}/articles/{article.pk}/publish", {}, token), 403)


def test_editor_schedules_in_the_future_only(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    token = make_token(editor, "publish")
    url = f"{EDITOR}/articles/{article.pk}/schedule"

    past = post_json(client, url, {"publish_at": "2020-01-01T00:00:00+07:00"}, token)
    assert_error(past, 422, "invalid_input")

    when = timezone.now() + timedelta(hours=5)
    response = post_json(client, url, {"publish_at": when.isoformat()}, token)
    assert response.json()["status"] == "scheduled"
    article.refresh_from_db()
    assert article.publish_at == when


def test_publishing_an_incomplete_article_explains_why(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT, lead_photo=None)
    token = make_token(editor, "publish")
    error = assert_error(
        post_json(client, f"{EDITOR}/articles/{article.pk}/publish", {}, token), 422
    )
    assert "lead photo" in error["message"]


def test_set_related_articles_in_order(client, editor):
    article = ArticleFactory()
    a, b = ArticleFactory(), ArticleFactory()
    token = make_token(editor, "write")
    url = f"{EDITOR}/articles/{article.pk}/related"

    response = client.put(
        url, {"article_ids": [b.pk, a.pk]}, content_type="application/json", **auth(token)
    )
    assert response.json()["related_ids"] == [b.pk, a.pk]
    assert list(
        RelatedArticle.objects.filter(article=article).values_list("related_id", flat=True)
    ) == [b.pk, a.pk]
    public = client.get(f"/api/v1/articles/{article.pk}/related").json()["items"]
    assert [i["id"] for i in public] == [b.pk, a.pk]

    for bad in ([article.pk], [a.pk, a.pk], [987654]):
        assert_error(
            client.put(url, {"article_ids": bad}, content_type="application/json", **auth(token)),
            422,
        )
    assert RelatedArticle.objects.filter(article=article).count() == 2


def test_photo_upload_accepts_images_by_content(client, reporter):
    token = make_token(reporter, "write")
    upload = SimpleUploadedFile("foto.png", image_bytes(fmt="PNG"), content_type="image/png")

    response = client.post(
        f"{EDITOR}/photos",
        {"file": upload, "caption": "Pasar pagi", "credit": "Ani", "alt_text": "Pedagang"},
        **auth(token),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["width"], body["height"]) == (800, 500)
    assert body["caption"] == "Pasar pagi"
    assert Photo.objects.get(pk=body["id"]).uploaded_by == reporter


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("foto.jpg", b"<?php echo 'bukan gambar'; ?>"),
        ("foto.bmp", image_bytes(fmt="BMP", size=(10, 10))),
        ("foto.jpg", b""),
    ],
)
def test_photo_upload_refuses_what_is_not_an_allowed_image(client, reporter, name, content):
    token = make_token(reporter, "write")
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    assert_error(client.post(f"{EDITOR}/photos", {"file": upload}, **auth(token)), 422)
    assert not Photo.objects.exists()


def test_photo_upload_caps_bytes_and_pixels(client, reporter, settings):
    token = make_token(reporter, "write")
    settings.PHOTO_MAX_BYTES = 1000
    big = SimpleUploadedFile("a.jpg", image_bytes(size=(400, 400)), content_type="image/jpeg")
    assert_error(client.post(f"{EDITOR}/photos", {"file": big}, **auth(token)), 422)
    settings.PHOTO_MAX_BYTES = 10_000_000
    settings.PHOTO_MAX_PIXELS = 100 * 100
    wide = SimpleUploadedFile("b.png", image_bytes(size=(200, 200), fmt="PNG"))
    error = assert_error(client.post(f"{EDITOR}/photos", {"file": wide}, **auth(token)), 422)
    assert "pixels" in error["message"]
    assert not Photo.objects.exists()


def test_photo_upload_needs_the_add_photo_permission(client, registered):
    token = make_token(registered, "write")
    upload = SimpleUploadedFile("a.jpg", image_bytes(), content_type="image/jpeg")
    assert_error(client.post(f"{EDITOR}/photos", {"file": upload}, **auth(token)), 403)


def test_editor_sees_the_whole_draft(client, editor):
    article = ArticleFactory(
        status=Article.Status.DRAFT, access_level="premium", lead_photo=PhotoFactory()
    )
    token = make_token(editor, "read")
    body = client.get(f"{EDITOR}/articles/{article.pk}", **auth(token)).json()
    assert "RAHASIA-PARAGRAF-TIGA" in body["body"]
    assert body["status"] == "draft"


# --- one write path with the admin ---------------------------------------------------


def test_photo_upload_enqueues_renditions_after_commit_like_the_admin(
    client, reporter, monkeypatch, django_capture_on_commit_callbacks
):
    from articles import tasks

    queued = []
    monkeypatch.setattr(tasks.generate_photo_renditions, "delay", queued.append)
    token = make_token(reporter, "write")
    upload = SimpleUploadedFile("pasar.jpg", image_bytes(), content_type="image/jpeg")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{EDITOR}/photos", {"file": upload}, **auth(token))

    assert response.status_code == 201, response.content
    assert queued == [response.json()["id"]]


def test_photo_upload_refuses_a_polyglot_with_the_admins_reason(client, reporter):
    token = make_token(reporter, "write")
    polyglot = image_bytes(fmt="PNG") + b"<script>alert(1)</script>"
    upload = SimpleUploadedFile("a.png", polyglot, content_type="image/png")
    error = assert_error(client.post(f"{EDITOR}/photos", {"file": upload}, **auth(token)), 422)
    assert "script" in error["message"]
    assert not Photo.objects.exists()


def test_draft_body_shortcodes_become_blocks_and_bad_references_are_refused(client, editor):
    token = make_token(editor, "read", "write")
    photo, other = PhotoFactory(), ArticleFactory()
    body = f"<p>Satu.</p><p>[[foto:{photo.pk}]]</p><p>[[baca-juga:{other.pk}]]</p>"

    created = post_json(client, f"{EDITOR}/articles", {"headline": "Kode", "body": body}, token)

    assert created.status_code == 201, created.content
    stored = Article.objects.get(pk=created.json()["id"]).body
    assert f'<figure data-photo-id="{photo.pk}"></figure>' in stored
    assert f'<aside data-read-also="{other.pk}"></aside>' in stored

    error = assert_error(
        post_json(
            client, f"{EDITOR}/articles", {"headline": "X", "body": "<p>[[foto:987654]]</p>"}, token
        ),
        422,
    )
    assert "987654" in json.dumps(error["details"]["body"])
    assert Article.objects.count() == 2


def test_unknown_section_is_a_422_named_by_the_api_field(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT)
    token = make_token(editor, "write")
    error = assert_error(
        patch_json(
            client, f"{EDITOR}/articles/{article.pk}", {"version": 1, "section_id": 987654}, token
        ),
        422,
    )
    assert "section_id" in error["details"]
    article.refresh_from_db()
    assert article.version == 1


def test_reporter_cannot_change_their_article_once_it_is_in_review(client, reporter):
    article = ArticleFactory(status=Article.Status.IN_REVIEW, created_by=reporter)
    token = make_token(reporter, "read", "write")
    url = f"{EDITOR}/articles/{article.pk}"
    assert client.get(url, **auth(token)).status_code == 200  # may open it
    assert_error(patch_json(client, url, {"version": 1, "dek": "Ubah"}, token), 403)


def test_a_new_draft_takes_its_sections_default_access_level(client, editor):
    section = SectionFactory(default_access_level="premium")
    token = make_token(editor, "write")
    response = post_json(
        client, f"{EDITOR}/articles", {"headline": "Analisis", "section_id": section.pk}, token
    )
    assert response.json()["access_level"] == "premium"


# --- the workflow's other steps, through the same actions as the admin ---------------------


def test_editor_unpublishes_and_returns_to_draft(client, editor):
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    token = make_token(editor, "publish")

    response = post_json(
        client, f"{EDITOR}/articles/{article.pk}/unpublish", {"note": "ralat"}, token
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "unpublished"
    assert client.get(f"/api/v1/articles/{article.pk}").status_code == 404
    again = post_json(client, f"{EDITOR}/articles/{article.pk}/unpublish", {}, token)
    assert again.json()["status"] == "unpublished"  # a repeat changes nothing

    response = post_json(client, f"{EDITOR}/articles/{article.pk}/return-to-draft", {}, token)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "draft"
    log = ArticleTransition.objects.filter(article=article).order_by("at", "pk")
    assert [(t.to_status, t.by, t.note) for t in log] == [
        ("unpublished", editor, "ralat"),
        ("draft", editor, ""),
    ]


def test_return_to_draft_cancels_a_schedule(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    token = make_token(editor, "publish")
    when = (timezone.now() + timedelta(hours=2)).isoformat()
    post_json(client, f"{EDITOR}/articles/{article.pk}/schedule", {"publish_at": when}, token)
    response = post_json(client, f"{EDITOR}/articles/{article.pk}/return-to-draft", {}, token)
    assert (response.json()["status"], response.json()["publish_at"]) == ("draft", None)


@pytest.mark.parametrize("step", ["unpublish", "return-to-draft"])
def test_a_reporter_may_not_unpublish_or_return_to_draft(client, reporter, step):
    start = Article.Status.PUBLISHED if step == "unpublish" else Article.Status.IN_REVIEW
    article = ArticleFactory(status=start, created_by=reporter)
    token = make_token(reporter, "read", "write", "publish")
    error = assert_error(
        post_json(client, f"{EDITOR}/articles/{article.pk}/{step}", {}, token), 403, "forbidden"
    )
    assert "may not" in error["message"]
    assert Article.objects.get(pk=article.pk).status == start
    assert not ArticleTransition.objects.filter(article=article).exists()


@pytest.mark.parametrize(
    ("step", "start", "allowed"),
    [
        ("unpublish", "draft", ["published"]),
        ("return-to-draft", "published", ["in_review", "scheduled", "unpublished"]),
        ("submit", "published", ["draft"]),
    ],
)
def test_a_step_from_the_wrong_status_is_a_409_naming_both(client, editor, step, start, allowed):
    article = ArticleFactory(status=start)
    token = make_token(editor, "write", "publish")
    error = assert_error(
        post_json(client, f"{EDITOR}/articles/{article.pk}/{step}", {}, token), 409, "wrong_state"
    )
    assert f"that is {start}" in error["message"]
    assert error["details"] == {"status": start, "allowed_from": allowed}
    assert Article.objects.get(pk=article.pk).status == start


def test_unpublish_needs_the_publish_scope(client, editor):
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    token = make_token(editor, "read", "write")
    assert_error(post_json(client, f"{EDITOR}/articles/{article.pk}/unpublish", {}, token), 403)


@pytest.mark.parametrize(
    "publish_at",
    [
        "9999-12-31T23:59:59+00:00",  # the year 10000 in Asia/Jakarta
        "9999-12-31T23:59:59-14:00",  # past the year 9999 in UTC
        "1999-12-31T23:59:59+00:00",
    ],
)
def test_a_schedule_outside_the_time_window_is_a_422(client, editor, publish_at):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    token = make_token(editor, "read", "publish")
    url = f"{EDITOR}/articles/{article.pk}/schedule"
    error = assert_error(post_json(client, url, {"publish_at": publish_at}, token), 422)
    assert "publish_at" in error["details"]
    assert Article.objects.get(pk=article.pk).status == "draft"
    assert client.get(f"{EDITOR}/articles/{article.pk}", **auth(token)).status_code == 200


def test_a_schedule_at_any_real_offset_within_the_window_is_accepted(client, editor):
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    token = make_token(editor, "publish")
    when = (timezone.now() + timedelta(days=3)).astimezone(timezone.get_fixed_timezone(-12 * 60))
    response = post_json(
        client, f"{EDITOR}/articles/{article.pk}/schedule", {"publish_at": when.isoformat()}, token
    )
    assert response.status_code == 200, response.content
    article.refresh_from_db()
    assert article.publish_at == when
