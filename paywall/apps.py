from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaywallConfig(AppConfig):
    """The paywall: one access policy, reader rights, the meter and the cache policy."""

    name = "paywall"
    verbose_name = _("Paywall")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .signals import carry_meter_over_at_login

        user_logged_in.connect(carry_meter_over_at_login, dispatch_uid="meter-carry-over")
