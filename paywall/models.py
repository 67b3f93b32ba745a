"""The meter's tables: who holds an allowance, and which articles they read in which period.

Created by ``subscriptions`` migration 0002 and kept under their names
(``subscriptions_meter*``); the paywall owns them now.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Meter(models.Model):
    """A free-article allowance owner: one per account, one per anonymous cookie id."""

    token = models.UUIDField(null=True, blank=True, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="meter",
    )
    # A meter born from a tampered cookie starts the month with nothing left.
    exhausted_period = models.DateField(null=True, blank=True)
    merged_into = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "subscriptions_meter"
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(token__isnull=False) | models.Q(user__isnull=False),
                name="meter_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"meter {self.user or self.token}"


class MeterRead(models.Model):
    """One metered article read in one period. The unique row makes a re-read free."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="reads")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    period = models.DateField(help_text=_("First day of the meter's calendar month."))
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "subscriptions_meterread"
        verbose_name = _("metered read")
        verbose_name_plural = _("metered reads")
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "article", "period"], name="meter_read_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.meter_id}:{self.article_id}@{self.period}"
