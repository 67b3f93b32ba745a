"""Saving articles through the service: ownership, revisions, diff, restore, stale saves."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from articles import revisions, services
from articles.models import AccessLevel, Article, RelatedArticle, Revision
from core.roles import EDITOR, REPORTER
from tests.factories import (
    ArticleFactory,
    PhotoFactory,
    SectionFactory,
    TopicFactory,
    UserFactory,
)

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Article.Status


def save(article_id, by, expected_version=None, **fields):
    lists = {k: fields.pop(k) for k in ("topics", "authors", "related") if k in fields}
    return services.article_save(
        article_id=article_id,
        by=by,
        fields=fields,
        expected_version=expected_version,
        now=timezone.now(),
        **lists,
    )


def test_a_new_article_starts_as_a_clean_draft_with_its_first_revision():
    reporter = UserFactory(role=REPORTER)
    section = SectionFactory(default_access_level=AccessLevel.METERED)
    article = save(
        None,
        reporter,
        headline="Harga Cabai Naik Lagi",
        section=section,
        body='<p onclick="x()">Satu</p><script>alert(1)</script>',
    )
    assert article.status == Status.DRAFT
    assert article.slug == "harga-cabai-naik-lagi"
    assert article.access_level == AccessLevel.METERED  # the section's default
    assert article.body == "<p>Satu</p>"
    assert article.created_by == reporter
    revision = article.revisions.get()
    assert (revision.version, revision.created_by, revision.body) == (1, reporter, "<p>Satu</p>")
    assert revision.data["headline"] == "Harga Cabai Naik Lagi"


def test_a_reporter_edits_only_their_own_drafts():
    reporter = UserFactory(role=REPORTER)
    own = ArticleFactory(status=Status.DRAFT, created_by=reporter)
    save(own.pk, reporter, headline="Judul baru")
    assert Article.objects.get(pk=own.pk).headline == "Judul baru"

    others = ArticleFactory(status=Status.DRAFT, created_by=UserFactory(role=REPORTER))
    own_submitted = ArticleFactory(status=Status.IN_REVIEW, created_by=reporter)
    for article in (others, own_submitted):
        with pytest.raises(PermissionDenied):
            save(article.pk, reporter, headline="Diam-diam")
        assert Article.objects.get(pk=article.pk).headline != "Diam-diam"


def test_an_editor_edits_any_article_and_subscription_staff_none():
    article = ArticleFactory(created_by=UserFactory(role=REPORTER))
    save(article.pk, UserFactory(role=EDITOR), dek="Disunting redaktur")
    assert Article.objects.get(pk=article.pk).dek == "Disunting redaktur"
    with pytest.raises(PermissionDenied):
        save(article.pk, UserFactory(role="Subscription staff"), dek="x")


def test_the_second_of_two_concurrent_saves_is_refused_with_the_first_editors_name():
    first = UserFactory(role=EDITOR, first_name="Maya", last_name="Kartika")
    second = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.DRAFT)
    opened = Article.objects.get(pk=article.pk).version  # both open the same version

    save(article.pk, first, expected_version=opened, headline="Versi Maya")
    with pytest.raises(services.StaleEdit) as caught:
        save(article.pk, second, expected_version=opened, headline="Versi kedua")

    assert "Maya Kartika" in caught.value.messages[0]
    assert caught.value.saved_by == "Maya Kartika"
    assert caught.value.latest.version == opened + 1
    article.refresh_from_db()
    assert article.headline == "Versi Maya"
    assert article.version == opened + 1
    assert not article.revisions.filter(created_by=second).exists()


def test_a_body_pointing_at_missing_photos_or_articles_is_refused_whole():
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.DRAFT)
    before = article.body
    with pytest.raises(ValidationError) as caught:
        save(article.pk, editor, headline="Baru", body="<p>a</p><p>[[foto:987654]]</p>")
    assert "987654" in str(caught.value)
    with pytest.raises(ValidationError, match="itself"):
        save(article.pk, editor, body=f"<p>[[baca-juga:{article.pk}]]</p>")
    article.refresh_from_db()
    assert (article.body, article.headline) == (before, article.headline)
    assert not article.revisions.exists()


def test_a_live_article_cannot_be_saved_without_what_publishing_requires():
    article = ArticleFactory(status=Status.PUBLISHED)
    with pytest.raises(ValidationError, match="lead photo"):
        save(article.pk, UserFactory(role=EDITOR), lead_photo=None)
    assert Article.objects.get(pk=article.pk).lead_photo_id is not None


def test_inline_blocks_and_the_related_list_are_saved_in_order():
    editor = UserFactory(role=EDITOR)
    photo = PhotoFactory()
    a, b, c = ArticleFactory(), ArticleFactory(), ArticleFactory()
    article = ArticleFactory(status=Status.DRAFT)
    save(
        article.pk,
        editor,
        body=f"<p>Satu</p><p>[[foto:{photo.pk}]]</p><p>[[baca-juga:{a.pk}]]</p>",
        related=[c, a.pk, b],
    )
    article.refresh_from_db()
    assert article.body == (
        f'<p>Satu</p>\n<figure data-photo-id="{photo.pk}"></figure>\n'
        f'<aside data-read-also="{a.pk}"></aside>'
    )
    assert list(
        RelatedArticle.objects.filter(article=article).values_list("related_id", flat=True)
    ) == [c.pk, a.pk, b.pk]
    assert article.revisions.first().data["related"] == [c.pk, a.pk, b.pk]


def test_an_article_saved_for_the_first_time_keeps_a_baseline_to_compare_with():
    article = ArticleFactory(status=Status.DRAFT, headline="Asli")  # e.g. seeded in bulk
    save(article.pk, UserFactory(role=EDITOR), headline="Disunting")
    baseline, edit = article.revisions.order_by("version")
    assert (baseline.version, baseline.created_by, baseline.data["headline"]) == (1, None, "Asli")
    assert (edit.version, edit.data["headline"]) == (2, "Disunting")


def test_the_diff_is_field_by_field_and_paragraph_by_paragraph():
    editor = UserFactory(role=EDITOR, first_name="Bagus", last_name="Santoso")
    ekonomi, pasar = TopicFactory(name="Ekonomi"), TopicFactory(name="Pasar")
    article = save(
        None,
        editor,
        headline="Rupiah Menguat",
        section=SectionFactory(),
        access_level=AccessLevel.FREE,
        body="<p>Rupiah dibuka menguat pagi ini.</p><p>Analis menilai wajar.</p><p>Penutup.</p>",
        topics=[ekonomi],
    )
    save(
        article.pk,
        editor,
        headline="Rupiah Menguat Tajam",
        access_level=AccessLevel.PREMIUM,
        body="<p>Rupiah dibuka menguat tajam pagi ini.</p><p>Penutup.</p><p>Paragraf tambahan.</p>",
        topics=[ekonomi, pasar],
    )
    older, newer = article.revisions.order_by("version")
    diff = revisions.revision_diff(older, newer)

    by_field = {change.name: change for change in diff.fields}
    assert set(by_field) == {"headline", "access_level", "topics"}
    assert (by_field["headline"].before, by_field["headline"].after) == (
        "Rupiah Menguat",
        "Rupiah Menguat Tajam",
    )
    assert by_field["topics"].after == "Ekonomi, Pasar"
    assert by_field["access_level"].after == "Premium"

    kinds = [(block.kind, block.before or block.after) for block in diff.body]
    assert ("removed", "Analis menilai wajar.") in kinds
    assert ("added", "Paragraf tambahan.") in kinds
    assert ("same", "Penutup.") in kinds
    changed = next(block for block in diff.body if block.kind == "changed")
    assert ("added", "tajam") in changed.words


def test_restoring_a_revision_brings_it_back_as_a_new_revision():
    editor = UserFactory(role=EDITOR)
    topic, other = TopicFactory(), TopicFactory()
    r1, r2 = ArticleFactory(), ArticleFactory()
    article = ArticleFactory(status=Status.DRAFT)
    save(
        article.pk,
        editor,
        headline="Pertama",
        body="<p>Isi pertama.</p>",
        topics=[topic],
        related=[r1, r2],
    )
    save(
        article.pk, editor, headline="Kedua", body="<p>Isi kedua.</p>", topics=[other], related=[r2]
    )
    wanted = article.revisions.get(data__headline="Pertama")
    current = Article.objects.get(pk=article.pk).version

    restored = services.article_restore_revision(
        revision_id=wanted.pk, by=editor, expected_version=current, now=timezone.now()
    )

    assert restored.headline == "Pertama"
    assert restored.body == "<p>Isi pertama.</p>"
    assert list(restored.topics.all()) == [topic]
    assert list(
        RelatedArticle.objects.filter(article=article).values_list("related_id", flat=True)
    ) == [r1.pk, r2.pk]
    newest = article.revisions.first()
    assert newest.version == current + 1
    assert newest.restored_from == wanted
    assert newest.note == f"Restored version {wanted.version}"
    assert Revision.objects.filter(article=article).count() == 4  # baseline, 2 edits, restore


def test_restoring_refuses_when_someone_saved_meanwhile():
    editor = UserFactory(role=EDITOR)
    article = ArticleFactory(status=Status.DRAFT)
    save(article.pk, editor, headline="Satu")
    revision = article.revisions.first()
    save(article.pk, editor, headline="Dua")
    with pytest.raises(services.StaleEdit):
        services.article_restore_revision(
            revision_id=revision.pk,
            by=editor,
            expected_version=revision.version,
            now=timezone.now(),
        )
    assert Article.objects.get(pk=article.pk).headline == "Dua"
