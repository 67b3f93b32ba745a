from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebsiteConfig(AppConfig):
    """The reader site: pages, feeds, sitemaps, SEO, search and the public API."""

    name = "website"
    verbose_name = _("Reader site")
