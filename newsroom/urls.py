from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

from website import feeds, sitemaps

from . import views
from .api import urls as api_urls

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("ops/pipeline/", include("publishing.urls")),
    path("api/v1/", api_urls),
    # Distribution: sitemaps, robots.txt and RSS (articles/sitemaps.py, feeds.py).
    path("sitemap.xml", sitemaps.index, name="sitemap-index"),
    path("sitemap-news.xml", sitemaps.news, name="sitemap-news"),
    path("sitemap-<section>.xml", sitemaps.section, name="sitemap-section"),
    path("robots.txt", sitemaps.robots_txt, name="robots-txt"),
    path("rss/", feeds.LatestFeed(), name="feed-latest"),
    path("rss/rubrik/<slug:slug>/", feeds.SectionFeed(), name="feed-section"),
    path("rss/topik/<slug:slug>/", feeds.TopicFeed(), name="feed-topic"),
]
# Reader pages: Indonesian at the root, English under /en/ (a URL per language
# keeps every page cacheable by a CDN without varying on cookies).
# Account, plans, login and the paywall's pages too, so a reader stays in their language.
# The admin too: Indonesian at /admin/, English at /en/admin/ (desk.site).
urlpatterns += i18n_patterns(
    # The revenue desk's pages, before the admin's own (it would take /admin/revenue/).
    path("admin/revenue/", include("revenue.urls")),
    # The article form's pickers and autosave (desk.editor_endpoints), likewise.
    path("admin/desk/", include("desk.urls")),
    path("admin/", admin.site.urls),
    path("", include("subscriptions.urls")),
    path("", include("website.urls")),
    prefix_default_language=False,
)

if settings.DEBUG:
    urlpatterns.insert(0, path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))

handler500 = "newsroom.errors.server_error"

admin.site.site_header = admin.site.site_title = format_lazy(
    "{} {}", _("Newsroom"), settings.SITE_NAME
)
