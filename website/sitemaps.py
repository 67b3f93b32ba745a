"""Sitemaps (an index of paginated sitemaps plus Google News) and robots.txt.

Sitemaps list addresses, headlines and dates only: no article text. Absolute
URLs use ``SITE_URL`` so they are right behind a proxy or CDN.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from articles.models import Article, Gallery, Section, Topic

NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000


def _cacheable(response, seconds: int = 300):
    response["Cache-Control"] = f"public, max-age={seconds}, s-maxage={seconds}"
    response["Surrogate-Key"] = "sitemaps lists"
    return response


class SiteSitemap(Sitemap):
    """Absolute URLs from SITE_URL rather than from the request's Host."""

    limit = 1000

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme or "https"


class ArticleSitemap(SiteSitemap):
    changefreq = "daily"

    def items(self):
        # Ordered by id so pages stay stable as new articles arrive.
        return (
            Article.objects.published()
            .select_related("section")
            .only("pk", "slug", "published_at", "created_at", "updated_at", "section__slug")
            .order_by("pk")
        )

    def lastmod(self, item):
        return item.updated_at


class SectionSitemap(SiteSitemap):
    changefreq = "hourly"

    def items(self):
        return Section.objects.order_by("pk")


class TopicSitemap(SiteSitemap):
    changefreq = "daily"

    def items(self):
        return Topic.objects.order_by("pk")


class GallerySitemap(SiteSitemap):
    def items(self):
        return Gallery.objects.filter(published_at__lte=timezone.now()).order_by("pk")

    def lastmod(self, item):
        return item.published_at


class PageSitemap(SiteSitemap):
    def items(self):
        return ["website:home", "tentang", "kontak", "syarat-langganan"]

    def location(self, item):
        if item == "website:home":
            return reverse(item)
        return reverse("website:page", kwargs={"slug": item})


SITEMAPS = {
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "topics": TopicSitemap,
    "galleries": GallerySitemap,
    "pages": PageSitemap,
}


@require_safe
def index(request):
    """The sitemap index: every page of every sitemap, then the news sitemap."""
    entries = []
    for name, sitemap_class in SITEMAPS.items():
        pages = sitemap_class().paginator.num_pages
        base = settings.SITE_URL + reverse("sitemap-section", kwargs={"section": name})
        entries.extend(base if page == 1 else f"{base}?p={page}" for page in range(1, pages + 1))
    entries.append(settings.SITE_URL + reverse("sitemap-news"))
    response = render(
        request, "sitemaps/index.xml", {"entries": entries}, content_type="application/xml"
    )
    return _cacheable(response)


@require_safe
def section(request, section):
    if section not in SITEMAPS:
        raise Http404("No such sitemap")
    response = sitemap_views.sitemap(request, SITEMAPS, section=section)
    response.render()
    return _cacheable(response)


@require_safe
def news(request):
    """Google News: articles published in the last 48 hours."""
    since = timezone.now() - NEWS_WINDOW
    articles = (
        Article.objects.published()
        .filter(published_at__gte=since)
        .select_related("section")
        .only("pk", "slug", "headline", "published_at", "created_at", "section__slug")
        .order_by("-published_at")[:NEWS_LIMIT]
    )
    response = render(
        request,
        "sitemaps/news.xml",
        {"articles": articles, "site_url": settings.SITE_URL, "site_name": settings.SITE_NAME},
        content_type="application/xml",
    )
    return _cacheable(response, seconds=120)


@require_safe
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /preview/",
        "Disallow: /en/preview/",
        "Disallow: /search/",
        "Disallow: /akun/",
        "",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap-index')}",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap-news')}",
        "",
    ]
    return _cacheable(HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8"))
