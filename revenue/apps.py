from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevenueConfig(AppConfig):
    """The revenue desk: the business's figures, the meter's what-if, the rules' timeline."""

    name = "revenue"
    verbose_name = _("Revenue desk")
