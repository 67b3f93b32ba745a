"""Every reader page type renders the HTML it rendered before the switch to Jinja2.

``tests/site/golden/`` holds each page as the Django-template version of the
site rendered it, from the deterministic site built here (fixed primary keys,
times, photos and accounts). The test renders the same pages through the
whole stack with today's templates and compares them, apart from:

- whitespace (runs collapse to one space; none between tags);
- the per-request CSRF token and the footer's current year;
- the two spellings of the same escaped character (``&#39;``/``&#x27;``,
  ``&#34;``/``&quot;``: markupsafe and Django escape ``'`` and ``"`` to
  different but equivalent entities). ``<``, ``>`` and ``&`` must match exactly.

A deliberate change of a page's HTML updates its golden file:
``GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/site/test_golden_html.py``
(then read the diff before committing it).
"""

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.template import loader
from django.test import Client
from django.utils import translation

from articles.models import (
    Agency,
    Article,
    Author,
    Gallery,
    GalleryPhoto,
    Photo,
    RelatedArticle,
    Section,
    Topic,
)
from subscriptions.models import Subscription
from tests.factories import PlanFactory, UserFactory

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"
T0 = datetime(2024, 6, 20, 7, 5, tzinfo=UTC)  # Kamis, 20 Juni 2024 | 14:05 WIB


def normalise(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html)
    html = re.sub(r"&copy; \d{4}", "&copy; YEAR", html)
    html = html.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    html = re.sub(r"\s+", " ", html).strip()
    return re.sub(r">\s+<", "><", html)


# --- The site ------------------------------------------------------------------


def _photo(pk: int, *, agency=None, caption: str = "") -> Photo:
    name = f"photos/2024/06/golden-{pk}"
    return Photo.objects.create(
        pk=pk,
        image=f"{name}.jpg",
        width=1600,
        height=900,
        caption=caption or f'Keterangan foto {pk}: "pasar" & <harga>',
        credit=f"Fotografer {pk}",
        agency=agency,
        alt_text=f"Foto {pk} O'Neil",
        renditions={
            f"{w}.{fmt}": f"renditions/golden-{pk}-{w}.{fmt}"
            for w in (320, 640, 960)
            for fmt in ("webp", "jpg")
        },
        uploaded_at=T0,
    )


BODY = "\n".join(
    [
        "<p>Paragraf pembuka tentang <strong>rupiah</strong> & saham.</p>",
        "<h2>Sub-judul</h2>",
        '<figure data-photo-id="902"></figure>',
        "<p>Paragraf kedua masih bagian dari cuplikan.</p>",
        '<aside data-read-also="1001"></aside>',
        "<blockquote><p>Kutipan narasumber.</p></blockquote>",
        "<p>RAHASIA-PARAGRAF-TIGA hanya untuk pembaca yang berhak.</p>",
        "<p>RAHASIA-PARAGRAF-EMPAT juga tersembunyi di balik gerbang.</p>",
    ]
)


@pytest.fixture
def golden_site(db):
    """A small newspaper whose every id, time and name is fixed."""
    reuters = Agency.objects.create(pk=1, name="Reuters", slug="reuters")
    ekonomi = Section.objects.create(pk=11, name="Ekonomi", slug="ekonomi", position=1)
    makro = Section.objects.create(
        pk=12, name="Makro", slug="makro", parent=ekonomi, position=1, show_on_home=False
    )
    pasar = Section.objects.create(pk=13, name="Pasar & Saham", slug="pasar", position=2)
    Section.objects.create(pk=14, name="Opini", slug="opini", position=3)
    rupiah = Topic.objects.create(pk=21, name="Rupiah", slug="rupiah", is_hot=True, hot_order=1)
    inflasi = Topic.objects.create(pk=22, name="Inflasi", slug="inflasi", is_hot=True, hot_order=2)
    Topic.objects.create(pk=23, name="Nikel", slug="nikel")
    ani = Author.objects.create(pk=31, name="Ani Wartawan", slug="ani-wartawan")
    budi = Author.objects.create(pk=32, name="Budi O'Neil", slug="budi-oneil")
    editor = Author.objects.create(pk=33, name="Citra Redaktur", slug="citra-redaktur")
    photos = [_photo(pk, agency=reuters if pk % 2 else None) for pk in range(901, 907)]

    sections = [ekonomi, makro, pasar]
    levels = ["free", "free", "metered", "registered", "premium"]
    articles = []
    for n in range(36):
        pk = 1001 + n
        article = Article.objects.create(
            pk=pk,
            headline=f'Berita {n}: rupiah "menguat" & <saham> naik'
            if n % 5 == 0
            else f"Berita {n}",
            slug=f"berita-{n}",
            dek=f"Ringkasan {n} O'Neil & kawan-kawan.",
            section=sections[n % 3],
            lead_photo=photos[n % len(photos)] if n % 4 != 3 else None,
            dateline_city="jakarta",
            body=BODY,
            source_attribution="Sumber: Reuters" if n % 2 else "",
            access_level=levels[n % 5],
            status=Article.Status.PUBLISHED,
            published_at=T0 - timedelta(hours=n),
            first_published_at=T0 - timedelta(hours=n + (2 if n == 0 else 0)),
            is_editors_pick=n % 3 == 0,
            editor=editor if n % 2 == 0 else None,
        )
        article.topics.set([rupiah, inflasi] if n % 2 == 0 else [inflasi])
        article.authors.set([ani, budi] if n % 3 == 0 else [ani])
        articles.append(article)
    RelatedArticle.objects.create(article=articles[0], related=articles[7], position=0)
    RelatedArticle.objects.create(article=articles[0], related=articles[9], position=1)
    Article.objects.update(updated_at=T0, created_at=T0 - timedelta(days=1))

    gallery = Gallery.objects.create(
        pk=41,
        title="Pelabuhan <Tanjung> Priok",
        slug="pelabuhan",
        description='Suasana "pagi" di pelabuhan.',
        section=ekonomi,
        published_at=T0 - timedelta(hours=3),
    )
    for position, photo in enumerate(photos[:3]):
        GalleryPhoto.objects.create(
            pk=51 + position,
            gallery=gallery,
            photo=photo,
            position=position,
            caption="Keterangan galeri" if position == 1 else "",
        )

    premium_plan = PlanFactory(
        pk=61, code="premium", name="Premium", trial_days=7, description="Semua artikel."
    )
    PlanFactory(pk=62, code="adfree", name="Bebas Iklan", description="Tanpa iklan.")
    PlanFactory(
        pk=63, code="free", name="Gratis", price_monthly=0, price_yearly=0, description="Daftar."
    )
    reader = UserFactory(pk=71, username="pembaca", email="pembaca@example.com")
    subscriber = UserFactory(pk=72, username="pelanggan", email="pelanggan@example.com")
    Subscription.objects.create(
        pk=81,
        user=subscriber,
        plan=premium_plan,
        status=Subscription.Status.ACTIVE,
        current_period_start=datetime(2024, 1, 1, tzinfo=UTC),
        current_period_end=datetime(2099, 1, 1, tzinfo=UTC),
    )
    staff = UserFactory(pk=73, username="redaktur", role="Editor")
    return {"articles": articles, "reader": reader, "subscriber": subscriber, "staff": staff}


# --- The pages -----------------------------------------------------------------


def _article(site, n: int) -> str:
    return site["articles"][n].get_absolute_url()


PAGES = {
    # name: (who, path)
    "home": ("anonymous", lambda s: "/"),
    "home-subscriber": ("subscriber", lambda s: "/"),
    "home-en": ("anonymous", lambda s: "/en/"),
    "section": ("anonymous", lambda s: "/rubrik/ekonomi/"),
    "section-page-2": ("anonymous", lambda s: "/rubrik/ekonomi/?page=2"),
    "topic": ("anonymous", lambda s: "/topik/inflasi/"),
    "author": ("anonymous", lambda s: "/penulis/budi-oneil/"),
    "article-free": ("anonymous", lambda s: _article(s, 0)),
    "article-free-en": ("anonymous", lambda s: "/en" + _article(s, 0)),
    "article-metered": ("anonymous", lambda s: _article(s, 2)),
    "article-registered-gated": ("anonymous", lambda s: _article(s, 3)),
    "article-registered-reader": ("reader", lambda s: _article(s, 3)),
    "article-premium-gated": ("anonymous", lambda s: _article(s, 4)),
    "article-premium-upgrade": ("reader", lambda s: _article(s, 4)),
    "article-premium-subscriber": ("subscriber", lambda s: _article(s, 4)),
    "article-preview": ("staff", lambda s: f"/preview/{s['articles'][4].pk}/?as=registered"),
    "search": ("anonymous", lambda s: "/search/?q=kawan"),
    "search-nothing": ("anonymous", lambda s: "/search/?q=zzzzzz"),
    "search-empty": ("anonymous", lambda s: "/search/"),
    "gallery": ("anonymous", lambda s: "/foto/pelabuhan/"),
    "page-about": ("anonymous", lambda s: "/halaman/tentang/"),
    "page-contact": ("anonymous", lambda s: "/halaman/kontak/"),
    "page-terms": ("anonymous", lambda s: "/halaman/syarat-langganan/"),
    "account-free": ("reader", lambda s: "/akun/"),
    "account-subscriber": ("subscriber", lambda s: "/akun/"),
    "plans": ("anonymous", lambda s: "/langganan/"),
    "plans-reader": ("reader", lambda s: "/langganan/"),
    "login": ("anonymous", lambda s: "/akun/masuk/?next=/akun/"),
    "signup": ("anonymous", lambda s: "/akun/daftar/?next=/langganan/"),
    "signout": ("reader", lambda s: "/keluar/"),
    "password-reset": ("anonymous", lambda s: "/akun/sandi/lupa/"),
    "password-reset-done": ("anonymous", lambda s: "/akun/sandi/terkirim/"),
    "password-reset-invalid": ("anonymous", lambda s: "/akun/sandi/atur/MTA/bad-token/"),
    "password-reset-complete": ("anonymous", lambda s: "/akun/sandi/selesai/"),
    "not-found": ("anonymous", lambda s: "/tidak-ada-halaman-ini/"),
}
STATUS = {"not-found": 404}
BARE_TEMPLATES = ["500.html", "503.html"]


def _client(site, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(site[who])
    return client


def _changed(name: str, html: str) -> str | None:
    """None when the page matches its golden file, else where it first differs."""
    path = GOLDEN / f"{name}.html"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(html)
        return None
    if not path.exists():
        return f"{name}: no golden file (run with GOLDEN_UPDATE=1 and review it)"
    got, want = normalise(html), normalise(path.read_text())
    if got == want:
        return None
    at = next((i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
    at = min(len(got), len(want)) if at is None else at
    start = max(0, at - 80)
    return f"{name} at {at}:\n  got:  {got[start : at + 120]}\n  want: {want[start : at + 120]}"


def test_every_reader_page_renders_its_golden_html(golden_site):
    """One site, every page (building the site once keeps this test quick)."""
    changed = []
    for name, (who, path) in PAGES.items():
        # The test client runs each request in this thread, whose active language
        # is the last request's: an address is reversed in the default language.
        with translation.override(settings.LANGUAGE_CODE):
            url = path(golden_site)
        response = _client(golden_site, who).get(url, follow=False)
        assert response.status_code == STATUS.get(name, 200), (name, response.status_code)
        changed.append(_changed(name, response.content.decode()))
    assert not [c for c in changed if c], "\n".join(c for c in changed if c)


@pytest.mark.parametrize("template", BARE_TEMPLATES)
def test_error_page_renders_its_golden_html(template):
    html = loader.get_template(template).render({})
    assert _changed(template.removesuffix(".html"), html) is None


def test_golden_pages_cover_every_reader_page_type():
    """A golden file per page in the table, and no stale ones left behind."""
    names = {*PAGES, *(t.removesuffix(".html") for t in BARE_TEMPLATES)}
    on_disk = {p.stem for p in GOLDEN.glob("*.html")}
    assert on_disk == names
