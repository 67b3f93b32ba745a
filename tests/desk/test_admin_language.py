"""The admin speaks one language: Indonesian at /admin/, English at /en/admin/.

Every admin page (each role's desk, each model's list, add and change form,
the custom views) is rendered under ``id`` and searched for English words
drawn from the models themselves: their names in English ("article", "Add
article", "Select article to change", "Publication log") and their fields'
labels. Words spelled the same in both languages are listed in ``SAME``.
Text inside ``<select>`` is data (permission names, objects), not the admin's.
"""

import html as htmllib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import timezone, translation

from articles.models import Article, ArticleTransition, Revision
from core.roles import CHIEF_EDITOR, EDITOR, REPORTER, SUBSCRIPTION_STAFF
from publishing.models import SideEffectRun, TaskFailure
from subscriptions.models import AuditEntry, Payment, WebhookEvent
from tests.factories import (
    AgencyFactory,
    ArticleFactory,
    AuthorFactory,
    GalleryPhotoFactory,
    SubscriptionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OUR_APPS = ("articles", "subscriptions", "pipeline", "analytics", "paywall", "apitokens")
# English words that are Indonesian too (or names nobody translates).
SAME = {
    "status",
    "slug",
    "data",
    "token",
    "traceback",
    "paywall",
    "api token",
    "api tokens",
    "url",
    "seo",
    "dek",
    "webhook",
    "id",
    "premium",
    "editor",
}


def english_words() -> set[str]:
    """The models' and fields' English names, as the admin would print them untranslated."""
    words = set()
    with translation.override("en"):
        for model in admin.site._registry:
            opts = model._meta
            if opts.app_label not in OUR_APPS:
                continue
            name, plural = str(opts.verbose_name), str(opts.verbose_name_plural)
            words |= {name, plural, f"Add {name}", f"Change {name}", f"Select {name} to change"}
            for field in opts.get_fields():
                if hasattr(field, "verbose_name") and not field.auto_created:
                    words.add(str(field.verbose_name))
        for label in OUR_APPS:
            words.add(str(apps.get_app_config(label).verbose_name))
    return {w for w in words if len(w) > 2 and w.lower() not in SAME}


# Data rather than the admin's words: the staff groups' names (rows in the
# database), django-axes' "User Agent", and file paths.
DATA = re.compile(r"Chief editor|Subscription staff|User Agent|\S*/\S*")


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|select|textarea)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", DATA.sub(" ", htmllib.unescape(page)))


def english_found(page: str, words: set[str]) -> list[str]:
    text = visible_text(page)
    return sorted(w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, re.I))


@pytest.fixture
def one_of_everything():
    """One row of each model the admin lists, so every change form renders."""
    now = timezone.now()
    article = ArticleFactory(topics=[TopicFactory()], authors=[AuthorFactory()])
    Revision.objects.create(article=article, version=1, data={}, body=article.body)
    transition = ArticleTransition.objects.create(
        article=article, from_status="scheduled", to_status="published", note="uji"
    )
    SideEffectRun.objects.create(
        transition=transition, article=article, effect="purge_caches", status="failed"
    )
    TaskFailure.objects.create(task_name="sweep:publish", article=article, error="Galat uji")
    GalleryPhotoFactory()
    AgencyFactory()
    subscription = SubscriptionFactory()
    Payment.objects.create(
        user=subscription.user, subscription=subscription, amount=65000, provider_payment_id="p1"
    )
    WebhookEvent.objects.create(
        provider="demo", event_id="e1", type="invoice.paid", created=now, payload={}
    )
    AuditEntry.objects.create(user=subscription.user, subscription=subscription, action="start")
    ArticleFactory(status=Article.Status.IN_REVIEW)
    ArticleFactory(status=Article.Status.SCHEDULED, publish_at=now - timedelta(minutes=5))
    return article


def admin_pages(article) -> list[str]:
    urls = ["/admin/", f"/admin/articles/article/{article.pk}/revisions/"]
    revision = article.revisions.first()
    urls.append(f"/admin/articles/article/{article.pk}/revisions/{revision.pk}/restore/")
    urls.append(
        f"/admin/articles/article/{article.pk}/revisions/compare/?a={revision.pk}&b={revision.pk}"
    )
    for model in admin.site._registry:
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        if not opts.managed:
            continue  # no table (the revenue desk's entry, which redirects): its pages are below
        urls += [base, f"{base}add/"]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(f"{base}{first.pk}/change/")
    # The revenue desk's own pages (views of their own, not a ModelAdmin).
    from revenue.pages import PAGES

    urls += ["/admin/revenue/"] + [f"/admin/revenue/{slug}/" for slug, _label in PAGES[1:]]
    return urls


def test_every_admin_page_is_indonesian(client, one_of_everything):
    words = english_words()
    assert {"article", "Add article", "Select article to change", "publication log"} <= words
    client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
    leaks = {}
    for url in admin_pages(one_of_everything):
        response = client.get(url)
        assert response.status_code in (200, 403), url
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            found = english_found(response.content.decode(), words)
            if found:
                leaks[url] = found
    assert leaks == {}


@pytest.mark.parametrize("role", [REPORTER, EDITOR, CHIEF_EDITOR, SUBSCRIPTION_STAFF])
def test_each_desk_is_indonesian_by_default_and_english_under_en(client, one_of_everything, role):
    client.force_login(UserFactory(role=role))
    indonesian = client.get("/admin/").content.decode()
    assert '<html lang="id"' in indonesian
    assert english_found(indonesian, english_words() | DESK_WORDS) == []
    assert "Semua konten" in indonesian

    english = client.get("/en/admin/").content.decode()
    assert '<html lang="en"' in english
    assert "All content" in english
    assert 'href="/en/admin/' in english  # links stay in English
    assert "Semua konten" not in english


# The desk's own headings, in English.
DESK_WORDS = {
    "My drafts",
    "Returned to me",
    "Review queue",
    "Most read now",
    "Output per section",
    "Failed webhooks",
    "Payments due",
    "Late and failed publications",
    "All content",
}


def test_admin_times_are_the_newsrooms_and_name_the_zone(client, one_of_everything):
    client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
    page = visible_text(client.get("/admin/pipeline/publicationlogentry/").content.decode())
    local = timezone.localtime(ArticleTransition.objects.get().at)
    assert re.search(rf"\b{local.hour}\.{local:%M} WIB\b", page)  # "j N Y, G.i T"
