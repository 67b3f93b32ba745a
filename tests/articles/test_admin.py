"""The editorial admin: list budgets, the article form, workflow buttons, revisions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, ArticleTransition, Photo
from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, SUBSCRIPTION_STAFF
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    GalleryPhotoFactory,
    PhotoFactory,
    SectionFactory,
    TopicFactory,
    UserFactory,
)

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Article.Status


def change_url(article) -> str:
    return f"/admin/articles/article/{article.pk}/change/"


def form_data(article: Article, **overrides) -> dict:
    """What the article change form posts, as loaded from the database."""
    article.refresh_from_db()
    data = {
        "headline": article.headline,
        "slug": article.slug,
        "dek": article.dek,
        "section": article.section_id or "",
        "topics": [t.pk for t in article.topics.all()],
        "authors": [a.pk for a in article.authors.all()],
        "editor": article.editor_id or "",
        "lead_photo": article.lead_photo_id or "",
        "lead_photo_caption": article.lead_photo_caption,
        "dateline_city": article.dateline_city,
        "body": article.body,
        "source_attribution": article.source_attribution,
        "access_level": article.access_level,
        "seo_title": "",
        "seo_description": "",
        "social_image": "",
        "canonical_url": "",
        "expected_version": article.version,
        "related_links-TOTAL_FORMS": "0",
        "related_links-INITIAL_FORMS": "0",
        "related_links-MIN_NUM_FORMS": "0",
        "related_links-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def fill_articles(count: int) -> None:
    section = SectionFactory()
    topics = [TopicFactory() for _ in range(3)]
    authors = [AuthorFactory() for _ in range(2)]
    for _ in range(count):
        ArticleFactory(section=section, topics=topics, authors=authors)


@pytest.mark.parametrize(
    ("url", "fill"),
    [
        ("/admin/articles/article/", fill_articles),
        ("/admin/articles/photo/", lambda n: [PhotoFactory() for _ in range(n)]),
        ("/admin/articles/gallery/", lambda n: [GalleryPhotoFactory() for _ in range(n)]),
        ("/admin/articles/section/", lambda n: [SectionFactory() for _ in range(n)]),
        ("/admin/articles/topic/", lambda n: [TopicFactory() for _ in range(n)]),
        ("/admin/articles/author/", lambda n: [AuthorFactory() for _ in range(n)]),
    ],
)
def test_every_changelist_costs_the_same_queries_for_one_row_or_many(
    client, django_assert_max_num_queries, url, fill
):
    client.force_login(UserFactory(role=CHIEF_EDITOR))
    fill(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    fill(30)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert len(one.captured_queries) <= 16


def test_the_article_list_shows_what_an_editor_scans(client):
    client.force_login(UserFactory(role=EDITOR))
    author = AuthorFactory(name="Rina Paramitha")
    article = ArticleFactory(headline="Neraca Dagang Surplus", authors=[author])
    response = client.get("/admin/articles/article/?q=Neraca")
    html = response.content.decode()
    assert "Neraca Dagang Surplus" in html
    assert "Rina Paramitha" in html
    assert article.lead_photo.image.url in html  # the thumbnail, until a rendition exists
    assert "Published" in html or "Terbit" in html or "published" in html


def test_saving_in_the_admin_goes_through_the_service_and_keeps_a_revision(client):
    editor = UserFactory(role=EDITOR)
    client.force_login(editor)
    article = ArticleFactory(status=Status.DRAFT)
    related = ArticleFactory()
    photo = PhotoFactory()
    data = form_data(
        article,
        headline="Judul disunting",
        body=f'<p onmouseover="x()">Isi</p><p>[[foto:{photo.pk}]]</p>',
        **{
            "related_links-TOTAL_FORMS": "1",
            "related_links-0-position": "0",
            "related_links-0-related": related.pk,
        },
    )
    response = client.post(change_url(article), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    article.refresh_from_db()
    assert article.headline == "Judul disunting"
    assert article.body == f'<p>Isi</p>\n<figure data-photo-id="{photo.pk}"></figure>'
    assert list(article.related_links.values_list("related_id", flat=True)) == [related.pk]
    assert article.revisions.first().created_by == editor


def test_the_editor_gets_photo_nodes_with_the_library_caption_not_shortcodes(client):
    client.force_login(UserFactory(role=EDITOR))
    photo = PhotoFactory(caption="Lantai bursa pagi")
    article = ArticleFactory(body=f'<p>Isi</p>\n<figure data-photo-id="{photo.pk}"></figure>')
    html = client.get(change_url(article)).content.decode()
    assert f"[[foto:{photo.pk}]]" not in html
    assert f"data-photo-id=&quot;{photo.pk}&quot;" in html  # inside the editor's textarea
    assert "data-library-caption=&quot;Lantai bursa pagi&quot;" in html
    assert "desk/body-blocks.js" in html  # our nodes, loaded by the prose editor
    assert "django_prose_editor/editor.js" in html  # served locally, no CDN


def test_a_stale_admin_save_is_refused_naming_the_other_editor_with_a_compare_link(client):
    maya = UserFactory(role=EDITOR, first_name="Maya", last_name="Kartika")
    other = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.DRAFT, headline="Asli")
    opened = form_data(article)  # both editors opened the same version

    client.force_login(maya)
    assert client.post(change_url(article), {**opened, "headline": "Versi Maya"}).status_code == 302
    client.force_login(other)
    response = client.post(change_url(article), {**opened, "headline": "Versi lain"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Maya Kartika saved this article" in html
    assert "/revisions/compare/?a=" in html
    article.refresh_from_db()
    assert article.headline == "Versi Maya"
    compare = html.split('href="')[1:]
    link = next(h.split('"')[0] for h in compare if "/revisions/compare/" in h)
    diff = client.get(link.replace("&amp;", "&")).content.decode()
    assert "Versi Maya" in diff
    assert "Asli" in diff


def test_a_reporter_sees_someone_elses_article_read_only(client):
    reporter = UserFactory(role=REPORTER)
    client.force_login(reporter)
    article = ArticleFactory(status=Status.DRAFT, created_by=UserFactory(role=REPORTER))
    page = client.get(change_url(article))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "/workflow/" not in page.content.decode()
    response = client.post(change_url(article), form_data(article, headline="Diam-diam"))
    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).headline != "Diam-diam"


def test_subscription_staff_cannot_open_the_article_admin(client):
    client.force_login(UserFactory(role=SUBSCRIPTION_STAFF))
    assert client.get("/admin/articles/article/").status_code == 403


def test_the_change_page_shows_the_log_buttons_and_preview_links(client):
    editor = UserFactory(role=EDITOR, first_name="Bagus", last_name="Santoso")
    client.force_login(editor)
    article = ArticleFactory(status=Status.IN_REVIEW)
    ArticleTransition.objects.create(
        article=article,
        from_status=Status.DRAFT,
        to_status=Status.IN_REVIEW,
        by=editor,
        note="siap disunting",
    )
    html = client.get(change_url(article)).content.decode()
    assert "Bagus Santoso" in html
    assert "siap disunting" in html
    for action in ("publish", "schedule", "return_to_draft"):
        assert f"/workflow/{action}/" in html
    assert "/workflow/unpublish/" not in html
    for who in ("anonymous", "registered", "premium"):
        assert f"/preview/{article.pk}/?as={who}" in html


def test_workflow_buttons_call_the_services_and_report_refusals(client):
    editor = UserFactory(role=EDITOR)
    reporter = UserFactory(role=REPORTER)
    article = ArticleFactory(status=Status.IN_REVIEW, created_by=reporter)

    client.force_login(reporter)
    response = client.post(f"/admin/articles/article/{article.pk}/workflow/publish/", follow=True)
    assert "may not" in response.content.decode()
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW

    client.force_login(editor)
    when = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/admin/articles/article/{article.pk}/workflow/schedule/", {"publish_at": when})
    article.refresh_from_db()
    assert article.status == Status.SCHEDULED
    assert timezone.localtime(article.publish_at).strftime("%Y-%m-%dT%H:%M") == when

    client.post(f"/admin/articles/article/{article.pk}/workflow/publish/")
    assert Article.objects.get(pk=article.pk).status == Status.PUBLISHED
    response = client.get(f"/admin/articles/article/{article.pk}/workflow/unpublish/")
    assert response.status_code == 405


def test_changelist_actions_publish_what_is_ready_and_name_what_is_not(client):
    client.force_login(UserFactory(role=EDITOR))
    ready = ArticleFactory(status=Status.IN_REVIEW)
    broken = ArticleFactory(status=Status.IN_REVIEW, headline="Tanpa foto", lead_photo=None)
    response = client.post(
        "/admin/articles/article/",
        {"action": "publish_selected", "_selected_action": [ready.pk, broken.pk]},
        follow=True,
    )
    assert Article.objects.get(pk=ready.pk).status == Status.PUBLISHED
    assert Article.objects.get(pk=broken.pk).status == Status.IN_REVIEW
    assert "Tanpa foto" in response.content.decode()


def test_revisions_can_be_listed_compared_and_restored_in_the_admin(client):
    editor = UserFactory(role=EDITOR)
    client.force_login(editor)
    article = ArticleFactory(status=Status.DRAFT, headline="Judul awal")
    client.post(
        change_url(article),
        form_data(article, headline="Judul kedua", body="<p>Paragraf baru.</p>"),
    )
    baseline, edit = article.revisions.order_by("version")

    listing = client.get(f"/admin/articles/article/{article.pk}/revisions/").content.decode()
    assert "v1" in listing
    assert "v2" in listing

    diff = client.get(
        f"/admin/articles/article/{article.pk}/revisions/compare/?a={baseline.pk}&b={edit.pk}"
    ).content.decode()
    assert "Judul awal" in diff
    assert "Judul kedua" in diff
    assert "Paragraf baru." in diff
    assert "RAHASIA-PARAGRAF-TIGA" in diff

    restore = f"/admin/articles/article/{article.pk}/revisions/{baseline.pk}/restore/"
    assert client.get(restore).status_code == 200
    response = client.post(restore, {"expected_version": edit.version})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "Judul awal"
    assert article.revisions.first().restored_from == baseline


def test_revision_pages_refuse_foreign_or_missing_revisions(client):
    client.force_login(UserFactory(role=EDITOR))
    article, other = ArticleFactory(), ArticleFactory()
    client.post(change_url(other), form_data(other, headline="lain"))
    foreign = other.revisions.first()
    response = client.get(
        f"/admin/articles/article/{article.pk}/revisions/compare/?a={foreign.pk}&b={foreign.pk}"
    )
    assert response.status_code == 302
    restore = f"/admin/articles/article/{article.pk}/revisions/{foreign.pk}/restore/"
    assert client.get(restore).status_code == 404


def test_autocomplete_finds_articles_for_the_related_list(client):
    client.force_login(UserFactory(role=REPORTER))
    ArticleFactory(headline="Ekspor Cip Semikonduktor")
    response = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "articles",
            "model_name": "relatedarticle",
            "field_name": "related",
            "term": "Semikonduktor",
        },
    )
    assert response.status_code == 200
    assert "Ekspor Cip Semikonduktor" in response.content.decode()


def test_the_photo_library_lists_thumbnails_captions_credits_and_codes(client):
    client.force_login(UserFactory(role=REPORTER))
    photo = PhotoFactory(caption="Lantai bursa", credit="Laras Putri")
    html = client.get("/admin/articles/photo/").content.decode()
    assert "Lantai bursa" in html
    assert "Laras Putri" in html
    assert f"[[foto:{photo.pk}]]" in html
    assert Photo.objects.count() == 1


def test_a_related_article_cannot_be_itself(client):
    client.force_login(UserFactory(role=EDITOR))
    article = ArticleFactory(status=Status.DRAFT)
    response = client.post(
        change_url(article),
        form_data(
            article,
            **{
                "related_links-TOTAL_FORMS": "1",
                "related_links-0-position": "0",
                "related_links-0-related": article.pk,
            },
        ),
    )
    assert response.status_code == 200  # the form shows the error; nothing is saved
    assert "cannot be related to itself" in response.content.decode()
    assert not article.related_links.exists()
    assert not article.revisions.exists()


def test_a_reporter_writes_a_new_draft_in_the_admin(client):
    from articles.models import AccessLevel

    reporter = UserFactory(role=REPORTER)
    client.force_login(reporter)
    section = SectionFactory(default_access_level=AccessLevel.REGISTERED)
    response = client.post(
        "/admin/articles/article/add/",
        {
            "headline": "Startup Logistik Raih Pendanaan",
            "slug": "",
            "section": section.pk,
            "access_level": "",
            "body": "<p>Paragraf pertama.</p><p>Paragraf kedua.</p>",
            "related_links-TOTAL_FORMS": "0",
            "related_links-INITIAL_FORMS": "0",
            "related_links-MIN_NUM_FORMS": "0",
            "related_links-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get()
    assert article.created_by == reporter
    assert article.status == Status.DRAFT
    assert article.slug == "startup-logistik-raih-pendanaan"
    assert article.access_level == AccessLevel.REGISTERED
    assert article.revisions.get().created_by == reporter
    # ... and may submit it, being its writer.
    client.post(f"/admin/articles/article/{article.pk}/workflow/submit/")
    assert Article.objects.get(pk=article.pk).status == Status.IN_REVIEW


def test_an_editor_can_schedule_to_the_second_from_the_change_page(client):
    # The browser refuses a datetime-local value with seconds unless step=1,
    # so without it nothing could be scheduled "in ten seconds".
    client.force_login(UserFactory(role=EDITOR))
    article = ArticleFactory(status=Status.IN_REVIEW)
    html = client.get(change_url(article)).content.decode()
    assert 'type="datetime-local" name="publish_at" step="1"' in html
    when = timezone.localtime(timezone.now() + timedelta(minutes=5)).replace(microsecond=0)
    client.post(
        f"/admin/articles/article/{article.pk}/workflow/schedule/",
        {"publish_at": when.strftime("%Y-%m-%dT%H:%M:%S")},
    )
    article.refresh_from_db()
    assert article.status == Status.SCHEDULED
    assert article.publish_at == when


def test_view_on_site_leads_to_the_preview_until_the_article_is_live(client):
    # The public address of a draft is a 404, so the admin's link must not go there.
    reporter = UserFactory(role=REPORTER)
    client.force_login(reporter)
    draft = ArticleFactory(status=Status.DRAFT, created_by=reporter)
    html = client.get(change_url(draft)).content.decode()
    assert f'href="/preview/{draft.pk}/?as=premium" class="viewsitelink"' in html
    assert client.get(f"/preview/{draft.pk}/?as=premium").status_code == 200

    client.force_login(UserFactory(role=EDITOR))
    live = ArticleFactory(status=Status.PUBLISHED)
    html = client.get(change_url(live)).content.decode()
    assert f'href="{live.get_absolute_url()}" class="viewsitelink"' in html
    assert client.get(live.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    "not_yet_live",
    [
        {"embargo_until": timedelta(hours=2)},  # published, still under embargo
        {"expires_at": timedelta(minutes=-1)},  # published, expired (the sweep is coming)
        {"published_at": timedelta(hours=1)},  # published "as of" a time still to come
    ],
)
def test_view_on_site_follows_the_liveness_rule_not_the_status(client, not_yet_live):
    # The status says published, but readers get a 404: link to the preview.
    client.force_login(UserFactory(role=EDITOR))
    now = timezone.now()
    article = ArticleFactory(
        status=Status.PUBLISHED, **{name: now + delta for name, delta in not_yet_live.items()}
    )
    assert not article.is_live()
    html = client.get(change_url(article)).content.decode()
    assert f'href="/preview/{article.pk}/?as=premium" class="viewsitelink"' in html
    assert article.get_absolute_url() not in html
    assert client.get(article.get_absolute_url()).status_code == 404


def test_the_status_line_says_when_a_published_article_is_not_visible(client):
    client.force_login(UserFactory(role=EDITOR))
    embargoed = ArticleFactory(embargo_until=timezone.now() + timedelta(hours=1))
    assert "not visible to readers" in client.get(change_url(embargoed)).content.decode()
    assert "not visible to readers" not in client.get(change_url(ArticleFactory())).content.decode()
