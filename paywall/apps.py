from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaywallConfig(AppConfig):
    """The paywall: one access policy, reader rights, the meter and the cache policy."""

    name = "paywall"
    verbose_name = _("Paywall")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from .models import Experiment, ExperimentArm, RuleOverride, RuleSet
        from .signals import carry_meter_over_at_login, pin_arm_at_login, rules_changed

        user_logged_in.connect(carry_meter_over_at_login, dispatch_uid="meter-carry-over")
        user_logged_in.connect(pin_arm_at_login, dispatch_uid="experiment-arm-pin")
        # However a version is written (admin, shell, a data migration), the
        # cached rules are forgotten.
        for signal in (post_save, post_delete):
            for model in (RuleSet, RuleOverride, Experiment, ExperimentArm):
                signal.connect(
                    rules_changed, sender=model, dispatch_uid=f"rules-changed-{model.__name__}"
                )
