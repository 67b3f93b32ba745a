"""Plans, and the subscriptions that tie a reader to one."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .plans import ALL_ENTITLEMENTS


class Plan(models.Model):
    """Something a reader can sign up for: free registration, ad-free, premium."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    entitlements = models.JSONField(
        _("entitlements"), default=list, blank=True, help_text=", ".join(ALL_ENTITLEMENTS)
    )
    price_monthly = models.PositiveIntegerField(_("monthly price (IDR)"), default=0)
    price_yearly = models.PositiveIntegerField(_("yearly price (IDR)"), default=0)
    trial_days = models.PositiveSmallIntegerField(_("trial days"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "price_monthly"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = set(self.entitlements or []) - set(ALL_ENTITLEMENTS)
        if unknown:
            raise ValidationError({"entitlements": f"Unknown: {', '.join(sorted(unknown))}"})


class Subscription(models.Model):
    """A reader's subscription to a plan, with its current billing period."""

    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trialing")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        CANCELED = "canceled", _("Canceled")
        EXPIRED = "expired", _("Expired")

    class Period(models.TextChoices):
        MONTH = "month", _("Monthly")
        YEAR = "year", _("Yearly")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    billing_period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTH)
    current_period_start = models.DateTimeField(default=timezone.now)
    current_period_end = models.DateTimeField()
    trial_end = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, default="demo")
    provider_customer_id = models.CharField(max_length=120, blank=True)
    provider_subscription_id = models.CharField(max_length=120, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [models.Index(fields=["user", "status"], name="subscription_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.plan} · {self.status}"
