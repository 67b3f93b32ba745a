"""A small populated site and a bounded crawler shared by the security checks."""

from collections import deque

import pytest

from articles.models import Article
from subscriptions.models import CheckoutSession, Payment, Subscription
from tests.factories import (
    AgencyFactory,
    ArticleFactory,
    AuthorFactory,
    GalleryFactory,
    GalleryPhotoFactory,
    PhotoFactory,
    PlanFactory,
    SectionFactory,
    SubscriptionFactory,
    TopicFactory,
    UserFactory,
)

from .html_checks import inspect, same_site_paths

CRAWL_LIMIT = 40
# Not pages: the admin has its own checks, the API and feeds are not HTML, and
# following a logout link would end the crawl's session.
CRAWL_SKIP_PREFIXES = ("/admin/", "/api/", "/static/", "/media/", "/akun/keluar/")


@pytest.fixture
def plans(db):
    return {
        "free": PlanFactory(code="free", name="Gratis", price_monthly=0, price_yearly=0),
        "adfree": PlanFactory(
            code="adfree", name="Bebas Iklan", price_monthly=25_000, price_yearly=250_000
        ),
        "premium": PlanFactory(code="premium", name="Premium"),
    }


@pytest.fixture
def site(plans):
    """Articles at every access level, with the things their pages link to."""
    section = SectionFactory(name="Ekonomi", slug="ekonomi")
    topic = TopicFactory(name="Pajak", slug="pajak", is_hot=True)
    author = AuthorFactory(name="Sari Wartawan", slug="sari", bio="Menulis soal fiskal.")
    photo = PhotoFactory(agency=AgencyFactory())
    gallery = GalleryFactory(title="Banjir Jakarta", slug="banjir-jakarta", section=section)
    GalleryPhotoFactory(gallery=gallery, photo=photo)
    articles = {
        level: ArticleFactory(
            headline=f"Berita {level}",
            slug=f"berita-{level}",
            section=section,
            lead_photo=photo,
            access_level=level,
            topics=[topic],
            authors=[author],
            is_editors_pick=True,
        )
        for level in Article.AccessLevel.values
    }
    return {
        "section": section,
        "topic": topic,
        "author": author,
        "gallery": gallery,
        "articles": articles,
        "plans": plans,
    }


@pytest.fixture
def reader(plans):
    """A registered reader with a subscription, a checkout and a payment of their own."""
    return _reader_with_history("pembaca", plans)


@pytest.fixture
def other_reader(plans):
    return _reader_with_history("tetangga", plans)


def _reader_with_history(username, plans):
    sub = SubscriptionFactory(
        user=UserFactory(username=username, email=f"{username}@example.com"),
        plan=plans["adfree"],
        provider="demo",
    )
    checkout = CheckoutSession.objects.create(
        user=sub.user,
        plan=plans["premium"],
        billing_period="month",
        provider="demo",
        amount=plans["premium"].price_monthly,
    )
    payment = Payment.objects.create(
        user=sub.user,
        subscription=sub,
        amount=plans["adfree"].price_monthly,
        status=Payment.Status.SUCCEEDED,
        provider="demo",
        provider_payment_id=f"demo-{username}",
        description=f"Langganan {username}",
    )
    sub.user.history = {"subscription": sub, "checkout": checkout, "payment": payment}
    return sub.user


@pytest.fixture
def premium_reader(plans):
    return SubscriptionFactory(
        user=UserFactory(username="premi", email="premi@example.com"),
        plan=plans["premium"],
        status=Subscription.Status.ACTIVE,
    ).user


@pytest.fixture
def staff(db):
    return UserFactory(username="redaktur", role="Editor")


@pytest.fixture
def superuser(db):
    user = UserFactory(username="kepala")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def crawl(client, *, start=("/",), limit=CRAWL_LIMIT):
    """Breadth-first over same-site links from ``start``; yields (path, response).

    Bounded to ``limit`` pages; only HTML responses are followed further.
    """
    queue = deque(start)
    seen: set[str] = set(start)
    fetched = 0
    while queue and fetched < limit:
        path = queue.popleft()
        response = client.get(path)
        fetched += 1
        yield path, response
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        if response.status_code != 200:
            continue
        for link in same_site_paths(path, inspect(response.content.decode()).links):
            if link in seen or link.startswith(CRAWL_SKIP_PREFIXES):
                continue
            seen.add(link)
            queue.append(link)


def reader_start_pages(site) -> list[str]:
    """Where the crawl starts: the home page plus the kinds of page a reader can land on."""
    article = site["articles"]["premium"]
    return [
        "/",
        article.get_absolute_url(),
        site["articles"]["metered"].get_absolute_url(),
        site["section"].get_absolute_url(),
        site["topic"].get_absolute_url(),
        site["author"].get_absolute_url(),
        site["gallery"].get_absolute_url(),
        "/langganan/",
        "/akun/",
        "/akun/masuk/",
        "/akun/daftar/",
        "/akun/sandi/lupa/",
    ]
