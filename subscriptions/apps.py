from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .signals import carry_meter_over_at_login

        user_logged_in.connect(carry_meter_over_at_login, dispatch_uid="meter-carry-over")
