from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Newsroom content")

    def ready(self) -> None:
        from paywall.rules import OverrideTarget, register_override_targets

        from .models import Section, Topic

        # Paywall overrides name sections and topics by slug; these are the real ones.
        register_override_targets(
            OverrideTarget.SECTION, lambda: list(Section.objects.values_list("slug", "name"))
        )
        register_override_targets(
            OverrideTarget.TOPIC,
            lambda: list(Topic.objects.order_by("name").values_list("slug", "name")),
        )
