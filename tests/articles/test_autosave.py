"""Autosave: a draft revision that never changes the article and never beats a save."""

import json

import pytest
from django.test import Client

from articles.models import Article, DraftRevision
from core.roles import EDITOR, REPORTER
from tests.articles.test_admin import change_url, form_data
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = Article.Status


def autosave_url(article) -> str:
    return f"/admin/desk/articles/{article.pk}/autosave/"


def autosave(client, article, *, version=None, **fields):
    payload = {
        "based_on_version": article.version if version is None else version,
        "fields": {
            name: [value] if isinstance(value, str) else value for name, value in fields.items()
        },
    }
    return client.post(autosave_url(article), json.dumps(payload), content_type="application/json")


@pytest.fixture
def reporter_draft():
    reporter = UserFactory(role=REPORTER)
    article = ArticleFactory(status=Status.DRAFT, published_at=None, created_by=reporter)
    return reporter, article


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


def test_an_autosave_keeps_a_draft_revision_and_leaves_the_article_alone(client, reporter_draft):
    reporter, article = reporter_draft
    client.force_login(reporter)
    before = (article.body, article.headline, article.version, article.revisions.count())
    response = autosave(
        client,
        article,
        headline="Judul baru",
        body='<p>Baru</p><p onclick="x()">Dua</p><script>x</script>',
        topics=["1", "2"],
        csrfmiddlewaretoken="ignored",
        **{
            "publish_at_0": "2030-01-02",
            "publish_at_1": "10:00:00",
            "related_links-0-related": "3",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["message"].startswith("Draf tersimpan otomatis pukul")
    draft = DraftRevision.objects.get(article=article, author=reporter)
    assert draft.based_on_version == article.version
    assert draft.data["headline"] == ["Judul baru"]
    assert draft.data["body"] == ["<p>Baru</p>\n<p>Dua</p>"]  # sanitized like a save
    assert draft.data["publish_at_0"] == ["2030-01-02"]
    assert "csrfmiddlewaretoken" not in draft.data
    assert "related_links-0-related" not in draft.data
    article.refresh_from_db()
    assert (article.body, article.headline, article.version, article.revisions.count()) == before
    # A second autosave replaces the first.
    assert autosave(client, article, headline="Lagi").status_code == 200
    assert DraftRevision.objects.get().data == {"headline": ["Lagi"]}


def test_an_autosave_after_someone_else_saved_is_refused_with_409(client, reporter_draft):
    reporter, article = reporter_draft
    editor = UserFactory(role=EDITOR)
    opened_at = article.version
    other = Client()
    other.force_login(editor)
    assert (
        other.post(change_url(article), form_data(article, headline="Versi editor")).status_code
        == 302
    )
    client.force_login(reporter)
    response = autosave(client, article, version=opened_at, headline="Versi reporter")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "version_conflict"
    assert error["details"] == {"current_version": opened_at + 1, "based_on_version": opened_at}
    assert not DraftRevision.objects.exists()
    article.refresh_from_db()
    assert article.headline == "Versi editor"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'{"fields": {"headline": ["x"]}}', "invalid_version"),
        (b'{"based_on_version": "1", "fields": {"headline": ["x"]}}', "invalid_version"),
        (b'{"based_on_version": 1, "fields": ["x"]}', "invalid_input"),
        (b'{"based_on_version": 1, "fields": {"headline": [1]}}', "invalid_input"),
        (b'{"based_on_version": 1, "fields": {"headline": ["a\\u0000b"]}}', "invalid_input"),
        (b'{"based_on_version": 1, "fields": {"nothing_we_know": ["x"]}}', "invalid_input"),
    ],
)
def test_bad_autosaves_are_a_400_with_a_reason_and_write_nothing(
    client, reporter_draft, body, reason
):
    reporter, article = reporter_draft
    client.force_login(reporter)
    response = client.post(autosave_url(article), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == reason
    assert response.json()["error"]["message"]
    assert not DraftRevision.objects.exists()


def test_autosave_is_for_those_who_may_edit_the_article(client, reporter_draft):
    reporter, article = reporter_draft
    assert autosave(Client(), article, headline="x").status_code == 302  # to the login page
    client.force_login(UserFactory(role=REPORTER))  # another reporter's draft
    assert autosave(client, article, headline="x").status_code == 403
    client.force_login(reporter)
    article.status = Status.IN_REVIEW  # submitted: no longer the reporter's to edit
    article.save()
    assert autosave(client, article, headline="x").status_code == 403
    assert client.get(autosave_url(article)).status_code == 405
    assert not DraftRevision.objects.exists()


def test_autosave_needs_the_csrf_token(reporter_draft):
    reporter, article = reporter_draft
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(reporter)
    assert autosave(guarded, article, headline="x").status_code == 403
    assert not DraftRevision.objects.exists()


def test_autosaving_faster_than_a_form_ever_does_is_a_429(client, reporter_draft, monkeypatch):
    monkeypatch.setattr("core.rate_limits.time.time", lambda: 1_699_999_990.0)
    reporter, article = reporter_draft
    client.force_login(reporter)
    for n in range(12):
        assert autosave(client, article, headline=f"v{n}").status_code == 200
    refused = autosave(client, article, headline="terlalu cepat")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert DraftRevision.objects.get().data["headline"] == ["v11"]


def test_the_change_form_offers_the_autosave_and_restores_it(client, reporter_draft):
    reporter, article = reporter_draft
    client.force_login(reporter)
    page = client.get(change_url(article)).content.decode()
    assert "data-autosave-offer" not in page
    assert f'data-autosave-url="/admin/desk/articles/{article.pk}/autosave/"' in page
    assert 'data-autosave-paused="0"' in page

    autosave(client, article, headline="Judul yang belum disimpan", body="<p>Teks autosave</p>")
    page = client.get(change_url(article)).content.decode()
    assert "data-autosave-offer" in page
    assert "Pulihkan simpanan otomatis" in page  # the admin speaks Indonesian by default
    assert 'data-autosave-paused="1"' in page  # nothing autosaves over the offer
    assert "Judul yang belum disimpan" not in page  # the saved article, until restored

    restored = client.get(change_url(article), {"autosave": "restore"}).content.decode()
    assert "data-autosave-restored" in restored
    assert 'value="Judul yang belum disimpan"' in restored
    assert "Teks autosave" in restored
    assert f'name="expected_version" value="{article.version}"' in restored

    # Saving the restored form saves it and the autosave is gone.
    data = form_data(article, headline="Judul yang belum disimpan", body="<p>Teks autosave</p>")
    assert client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.headline == "Judul yang belum disimpan"
    assert not DraftRevision.objects.exists()
    assert "data-autosave-offer" not in client.get(change_url(article)).content.decode()


def test_a_restored_autosave_cannot_overwrite_a_newer_save(client, reporter_draft):
    reporter, article = reporter_draft
    client.force_login(reporter)
    opened = form_data(article)
    autosave(client, article, headline="Versi reporter")
    other = Client()
    other.force_login(UserFactory(role=EDITOR))
    assert (
        other.post(change_url(article), form_data(article, headline="Versi editor")).status_code
        == 302
    )

    page = client.get(change_url(article)).content.decode()
    assert "Artikel sudah disimpan lagi sejak itu (versi" in page
    restored = client.get(change_url(article), {"autosave": "restore"}).content.decode()
    assert f'name="expected_version" value="{opened["expected_version"]}"' in restored
    refused = client.post(change_url(article), {**opened, "headline": "Versi reporter"})
    assert refused.status_code == 200  # the form again, with the stale-edit error
    article.refresh_from_db()
    assert article.headline == "Versi editor"


def test_discard_forgets_the_autosave(client, reporter_draft):
    reporter, article = reporter_draft
    client.force_login(reporter)
    autosave(client, article, headline="Buang")
    response = client.post(f"/admin/desk/articles/{article.pk}/autosave/discard/")
    assert response.status_code == 302
    assert response["Location"] == change_url(article)
    assert not DraftRevision.objects.exists()


def test_each_editor_has_their_own_autosave(client):
    editor_a, editor_b = UserFactory(role=EDITOR), UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.DRAFT, published_at=None)
    client.force_login(editor_a)
    autosave(client, article, headline="A")
    other = Client()
    other.force_login(editor_b)
    autosave(other, article, headline="B")
    assert sorted(
        d["headline"][0] for d in DraftRevision.objects.values_list("data", flat=True)
    ) == [
        "A",
        "B",
    ]
    assert "data-autosave-offer" not in Client().get(change_url(article)).content.decode()
    page_b = other.get(change_url(article), {"autosave": "restore"}).content.decode()
    assert 'value="B"' in page_b
    assert 'value="A"' not in page_b
