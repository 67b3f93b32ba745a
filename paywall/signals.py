"""Signal receivers of the paywall."""

from .meter import meter_carry_over
from .rules import forget_rules


def carry_meter_over_at_login(sender, request, user, **kwargs) -> None:
    """At login (and sign-up, which logs in) this month's anonymous reads join the account."""
    if request is not None:
        meter_carry_over(meter_key=getattr(request, "meter_key", None), user=user)


def pin_arm_at_login(sender, request, user, **kwargs) -> None:
    """At login the account keeps the experiment arm it met first (``experiments``)."""
    from .experiments import pin_at_login

    pin_at_login(request, user)


def rules_changed(sender, **kwargs) -> None:
    """A rule set version, an override or an experiment was written: every
    process reads the rules again."""
    forget_rules()
