"""Plans, and the subscriptions that tie a reader to one."""

import uuid

from django.conf import settings
from django.contrib.auth.models import User
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
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

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


# A running subscription is one that will charge again (or is being charged):
# trialing, active, past_due. A canceled one is paid up until its period ends
# and never charges again; an expired one is over.
#
# One reader has at most one running subscription per product line. Every
# reader plan is one line: premium includes ad-free, so a second running
# subscription can only charge the reader twice for what one plan gives.
# Changing plan is ``subscription_change_plan``, never a second subscription.
RUNNING_STATUSES = ("trialing", "active", "past_due")


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
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("user"),
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("plan")
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status")
    )
    billing_period = models.CharField(
        max_length=8, choices=Period.choices, default=Period.MONTH, verbose_name=_("billing period")
    )
    current_period_start = models.DateTimeField(
        default=timezone.now, verbose_name=_("current period start")
    )
    current_period_end = models.DateTimeField(verbose_name=_("current period end"))
    trial_end = models.DateTimeField(null=True, blank=True, verbose_name=_("trial end"))
    grace_until = models.DateTimeField(null=True, blank=True, verbose_name=_("grace until"))
    cancel_at_period_end = models.BooleanField(
        default=False, verbose_name=_("cancel at period end")
    )
    canceled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("canceled at"))
    provider = models.CharField(max_length=20, default="demo", verbose_name=_("provider"))
    provider_customer_id = models.CharField(
        max_length=120, blank=True, verbose_name=_("provider customer ID")
    )
    provider_subscription_id = models.CharField(
        max_length=120, blank=True, db_index=True, verbose_name=_("provider subscription ID")
    )
    # A downgrade waits for the end of the paid period.
    scheduled_plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scheduled plan"),
    )
    # The provider event time of the last snapshot applied: older ones are stale.
    provider_synced_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("provider synced at")
    )
    renewal_reminder_for = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("The period end a renewal reminder was sent for."),
        verbose_name=_("renewal reminder for"),
    )
    trial_reminder_sent = models.BooleanField(default=False, verbose_name=_("trial reminder sent"))
    # Set when a provider started this subscription while the reader already had
    # ``duplicate_of`` running: we refused it (it never runs), told the provider
    # to stop it, and refund whatever it charges.
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Refused: the reader already had this subscription running."),
        verbose_name=_("duplicate of"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    RUNNING = RUNNING_STATUSES

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [
            models.Index(fields=["user", "status"], name="subscription_user_idx"),
            # The revenue desk's ranges: starts, ends of periods and trials by day.
            models.Index(fields=["created_at"], name="subscription_created_idx"),
            models.Index(fields=["current_period_end"], name="subscription_period_end_idx"),
            models.Index(fields=["trial_end"], name="subscription_trial_end_idx"),
        ]
        constraints = [
            # One of our rows per provider subscription, even when two webhooks race.
            models.UniqueConstraint(
                fields=["provider", "provider_subscription_id"],
                condition=~models.Q(provider_subscription_id=""),
                name="subscription_provider_id_once",
            ),
            # One running subscription per reader (see RUNNING_STATUSES): the
            # services check it under the reader's row lock, this holds it
            # even for a path that forgot.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=RUNNING_STATUSES),
                name="subscription_one_running_per_reader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.plan} · {self.get_status_display()}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    def grants_access(self, now) -> bool:
        """The rule ``entitlements.current_subscriptions`` applies in SQL, for one row."""
        S = self.Status
        if self.status in (S.TRIALING, S.ACTIVE, S.CANCELED):
            return self.current_period_end > now
        if self.status == S.PAST_DUE:
            return bool(self.grace_until and self.grace_until > now)
        return False

    def snapshot(self) -> dict:
        """The fields an audit entry records before and after a change."""
        return {
            "plan": self.plan.code if self.plan_id else None,
            "status": self.status,
            "billing_period": self.billing_period,
            "current_period_end": self.current_period_end.isoformat()
            if self.current_period_end
            else None,
            "trial_end": self.trial_end.isoformat() if self.trial_end else None,
            "grace_until": self.grace_until.isoformat() if self.grace_until else None,
            "cancel_at_period_end": self.cancel_at_period_end,
            "scheduled_plan": self.scheduled_plan.code if self.scheduled_plan_id else None,
        }


# --- Lifecycle extras, payments, webhooks, audit ---------------------------------------


class Payment(models.Model):
    """Money that moved (or tried to): a charge or a refund, as the provider reported it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="payments",
        verbose_name=_("user"),
    )
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        verbose_name=_("subscription"),
    )
    kind = models.CharField(
        max_length=8, choices=Kind.choices, default=Kind.CHARGE, verbose_name=_("kind")
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    amount = models.PositiveIntegerField(_("amount (IDR)"))
    currency = models.CharField(max_length=3, default="IDR", verbose_name=_("currency"))
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    provider = models.CharField(max_length=20, default="demo", verbose_name=_("provider"))
    # Unique per provider: a charge reported twice is recorded once.
    provider_payment_id = models.CharField(max_length=120, verbose_name=_("provider payment ID"))
    refund_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund",
        verbose_name=_("refund of"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        # The revenue desk's money collected over a range.
        indexes = [models.Index(fields=["created_at"], name="payment_created_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"], name="payment_provider_id_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} Rp{self.amount:,} · {self.get_status_display()}"


class CheckoutSession(models.Model):
    """A reader on their way to paying for a plan, through one provider."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        # Paid while the reader already had a running subscription: refunded.
        DUPLICATE = "duplicate", _("Paid twice, refunded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="checkouts",
        verbose_name=_("user"),
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan")
    )
    billing_period = models.CharField(
        max_length=8,
        choices=Subscription.Period.choices,
        default=Subscription.Period.MONTH,
        verbose_name=_("billing period"),
    )
    amount = models.PositiveIntegerField(default=0, verbose_name=_("amount"))
    provider = models.CharField(max_length=20, default="demo", verbose_name=_("provider"))
    provider_session_id = models.CharField(
        max_length=200, blank=True, verbose_name=_("provider session id")
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN, verbose_name=_("status")
    )
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("subscription"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")

    def __str__(self) -> str:
        return f"{self.user} → {self.plan} ({self.get_status_display()})"


class WebhookEvent(models.Model):
    """A provider's webhook delivery, stored before it is processed (once per event id)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored (stale or unknown)")
        FAILED = "failed", _("Failed, will retry")

    provider = models.CharField(max_length=20, verbose_name=_("provider"))
    event_id = models.CharField(max_length=200, verbose_name=_("event ID"))
    type = models.CharField(max_length=100, verbose_name=_("type"))
    created = models.DateTimeField(
        help_text=_("When the provider created the event."), verbose_name=_("created")
    )
    payload = models.JSONField(verbose_name=_("payload"))
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEIVED, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
        verbose_name=_("user"),
    )
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="webhook_status_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class AuditEntry(models.Model):
    """One change to a reader's subscription: who, what, why, before and after."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscription_audit",
        verbose_name=_("user"),
    )
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit",
        verbose_name=_("subscription"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the system or the payment provider made the change."),
        verbose_name=_("actor"),
    )
    source = models.CharField(
        max_length=20, default="system", verbose_name=_("source")
    )  # reader, staff, provider, system
    action = models.CharField(max_length=40, verbose_name=_("action"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    before = models.JSONField(default=dict, blank=True, verbose_name=_("before"))
    after = models.JSONField(default=dict, blank=True, verbose_name=_("after"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} ({self.source})"


# --- The meter ---------------------------------------------------------------------


class Subscriber(User):
    """Readers as subscription staff see them (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
