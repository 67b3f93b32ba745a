from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Readership: page views, most read and hot topics."""

    name = "analytics"
    verbose_name = _("Readership")
