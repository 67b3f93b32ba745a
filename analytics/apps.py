from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Readership: page views, most read and hot topics; the subscription funnel."""

    name = "analytics"
    verbose_name = _("Readership")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from paywall import funnel

        from .funnel import store_buffered
        from .signals import link_reader_at_login

        # Without Redis, funnel events buffered in a process are written here.
        funnel.register_sink(store_buffered)
        user_logged_in.connect(link_reader_at_login, dispatch_uid="funnel-reader-link")
