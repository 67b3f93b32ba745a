"""XSS: payloads in every editor-controlled field never run on the site or in the admin.

Data goes in through the ORM, as a careless import or an old row would put
it, so the pages' own escaping and render-time sanitizing are what is tested.
"""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from articles.models import Article
from tests.factories import (
    AgencyFactory,
    ArticleFactory,
    AuthorFactory,
    GalleryFactory,
    GalleryPhotoFactory,
    PhotoFactory,
    SectionFactory,
    TopicFactory,
    UserFactory,
)

from .conftest import crawl
from .html_checks import inspect, script_violations

pytestmark = pytest.mark.django_db

# Fits the shortest field it goes into (80 characters).
PAYLOAD = "'\"><img src=x onerror=alert(1)><script>alert(1)</script>"
BREAKOUT = "</script><script>alert(1)</script>"  # for text that ends up inside a <script> block
BODY = "\n".join(
    [
        "<p>Paragraf pembuka.</p>",
        "<script>alert(1)</script>",
        '<p><a href="javascript:alert(1)">tautan</a> dan <img src=x onerror=alert(1)></p>',
        '<p onclick="alert(1)">RAHASIA-PARAGRAF-TIGA</p>',
        '<p><iframe src="javascript:alert(1)"></iframe></p>',
    ]
)


def payload_violations(html: str) -> list[str]:
    """Only what our payloads would produce, so pages with their own scripts can be checked."""
    page = inspect(html)
    found = []
    if "<script>alert(1)</script>" in html:
        found.append("raw <script>alert(1)</script>")
    found += [f"inline script {s!r}" for s in page.inline_scripts if "alert(1)" in s]
    found += [f"handler {h}" for h in page.event_handlers if "alert(1)" in h]
    found += [f"URL {u}" for u in page.javascript_urls if "alert(1)" in u]
    found += [f"<img src={i.get('src')!r}>" for i in page.images if i.get("src") == "x"]
    return found


@pytest.fixture
def hostile(plans):
    """Every editor-controlled text field carries a payload (the body stays clean here)."""
    section = SectionFactory(name=f"Rubrik {PAYLOAD}", slug="rubrik-xss", description=PAYLOAD)
    topic = TopicFactory(name=f"Topik {PAYLOAD}", slug="topik-xss", description=PAYLOAD)
    author = AuthorFactory(
        name=f"Penulis {PAYLOAD}", slug="penulis-xss", bio=PAYLOAD, role_title=PAYLOAD
    )
    agency = AgencyFactory(name=f"Agensi {PAYLOAD}", slug="agensi-xss")
    photo = PhotoFactory(caption=PAYLOAD, credit=PAYLOAD, alt_text=PAYLOAD, agency=agency)
    gallery = GalleryFactory(
        title=f"Galeri {PAYLOAD}", slug="galeri-xss", description=PAYLOAD, section=section
    )
    GalleryPhotoFactory(gallery=gallery, photo=photo, caption=PAYLOAD)
    fields = {
        "headline": f"Judul {PAYLOAD} {BREAKOUT}",
        "dek": f"{PAYLOAD} {BREAKOUT}",
        "lead_photo_caption": PAYLOAD,
        "dateline_city": PAYLOAD,
        "source_attribution": PAYLOAD,
        "seo_title": f"{PAYLOAD} {BREAKOUT}",
        "seo_description": f"{PAYLOAD} {BREAKOUT}",
        "canonical_url": 'https://example.com/"><script>alert(1)</script>',
    }
    articles = [
        ArticleFactory(
            slug=f"xss-{level}",
            section=section,
            topics=[topic],
            authors=[author],
            editor=author,
            lead_photo=photo,
            social_image=photo,
            access_level=level,
            is_editors_pick=True,
            **fields,
        )
        for level in (Article.AccessLevel.FREE, Article.AccessLevel.PREMIUM)
    ]
    for article in articles:
        article.related_links.create(related=articles[0] if article is articles[1] else articles[1])
    return {
        "articles": articles,
        "pages": [
            "/",
            *(a.get_absolute_url() for a in articles),
            section.get_absolute_url(),
            topic.get_absolute_url(),
            author.get_absolute_url(),
            gallery.get_absolute_url(),
        ],
    }


@pytest.mark.parametrize("who", ["anonymous", "premium"])
def test_editor_fields_are_escaped_on_every_reader_page(who, hostile, premium_reader):
    client = Client()
    if who == "premium":
        client.force_login(premium_reader)
    problems, pages = [], 0
    for path, response in crawl(client, start=hostile["pages"], limit=30):
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        pages += 1
        html = response.content.decode()
        problems += [f"{path}: {item}" for item in payload_violations(html)]
        problems += [f"{path}: {item}" for item in script_violations(html)]
    assert pages >= len(hostile["pages"])
    assert problems == []


def test_a_readers_own_name_is_escaped_on_their_account_page(plans):
    user = UserFactory(username="nakal", first_name=PAYLOAD)
    client = Client()
    client.force_login(user)
    assert payload_violations(client.get("/akun/").content.decode()) == []


@pytest.mark.parametrize("level", [Article.AccessLevel.FREE, Article.AccessLevel.PREMIUM])
def test_hostile_body_html_never_runs_on_the_article_page(level, plans, premium_reader):
    article = ArticleFactory(slug=f"badan-{level}", body=BODY, access_level=level)
    for user in (None, premium_reader):
        client = Client()
        if user is not None:
            client.force_login(user)
        html = client.get(article.get_absolute_url()).content.decode()
        assert "Paragraf pembuka" in html
        assert payload_violations(html) == []
        assert script_violations(html) == []


def _admin_pages(model) -> list[str]:
    info = (model._meta.app_label, model._meta.model_name)
    try:
        pages = [reverse("admin:{}_{}_changelist".format(*info))]
    except NoReverseMatch:
        return []
    for pk in model._default_manager.values_list("pk", flat=True)[:3]:
        pages.append(reverse("admin:{}_{}_change".format(*info), args=[pk]))
    return pages


def test_payloads_never_run_in_the_admin(hostile, superuser, premium_reader):
    ArticleFactory(slug="badan-admin", body=BODY, headline=f"Badan {PAYLOAD}")
    UserFactory(username="nama-jahat", first_name=PAYLOAD, last_name=PAYLOAD)
    client = Client()
    client.force_login(superuser)
    problems, checked = [], 0
    for model in admin.site._registry:
        for path in _admin_pages(model):
            response = client.get(path)
            assert response.status_code == 200, path
            checked += 1
            problems += [
                f"{path}: {item}" for item in payload_violations(response.content.decode())
            ]
    assert checked > 10
    assert problems == []
    # The changelist search echoes the query: it must come back escaped too.
    search = client.get("/admin/auth/user/", {"q": PAYLOAD})
    assert payload_violations(search.content.decode()) == []


def test_the_payload_check_can_fail():
    assert payload_violations(PAYLOAD) != []
    assert payload_violations(BODY) != []
