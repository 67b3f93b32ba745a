"""The revenue desk reads subscriptions, payments, the funnel, attribution and
the paywall's meter and rules, through read models of its own that beat keeps
(``revenue.snapshots``): a snapshot per day, per day and plan, per cohort and
month, and the meter what-if's histogram.

``Desk`` exists only to hold the permission that opens the desk
(``revenue.view_desk``, given to subscription staff and the chief editor in
``core.roles``) and to put the desk on the admin index. It is not managed:
no table is created for it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NoRows(models.Manager):
    """``Desk`` has no table: every query of it is empty and never reaches the database."""

    def get_queryset(self):
        return super().get_queryset().none()


class Desk(models.Model):
    objects = NoRows()

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_desk", _("Can see the revenue desk"))]
        verbose_name = _("revenue desk")
        verbose_name_plural = _("revenue desk")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


# --- Read models written by beat (``revenue.snapshots``) ---------------------------------
#
# The desk's figures over days and months come from these small tables, so a page
# reads a few hundred rows instead of every subscription; the day under way (and
# any day beat has not written yet) is computed live by the same functions.


class DailySnapshot(models.Model):
    """The subscription business at the end of one local day (the first instant of
    the next: ``local_midnight(day + 1)``), and its movements during that day."""

    day = models.DateField(unique=True)
    active_readers = models.PositiveIntegerField(default=0)
    paying_readers = models.PositiveIntegerField(default=0)
    # 12 x the monthly value of the paying subscriptions, in whole rupiah (MRR is
    # this / 12, rounded once, as ``metrics.mrr_history`` does).
    yearly_value = models.BigIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    reactivated = models.PositiveIntegerField(default=0)
    churned = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day}: {self.paying_readers} paying"


class DailyPlanSnapshot(models.Model):
    """Readers active at the end of one local day per plan and billing period."""

    day = models.DateField()
    plan = models.ForeignKey("subscriptions.Plan", on_delete=models.CASCADE, related_name="+")
    billing_period = models.CharField(max_length=8)
    trialing = models.PositiveIntegerField(default=0)
    paying = models.PositiveIntegerField(default=0)
    complimentary = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "plan", "billing_period"], name="plan_snapshot_once_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.plan_id} {self.billing_period}"


class CohortSnapshot(models.Model):
    """Of the readers whose first subscription started in ``cohort`` (a month's
    first day), how many had one active at the end of the month ``month``."""

    cohort = models.DateField()
    month = models.DateField()
    readers = models.PositiveIntegerField(default=0)
    retained = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "month"], name="cohort_snapshot_once")
        ]

    def __str__(self) -> str:
        return f"{self.cohort} at {self.month}: {self.retained}/{self.readers}"


class MeterHistogram(models.Model):
    """The what-if's histogram, computed by beat: how many readers (anonymous or
    registered) read ``articles`` different metered articles in the window
    ``[since, until)``. Every row of one computation shares ``until``."""

    until = models.DateTimeField(db_index=True)
    since = models.DateTimeField()
    registered = models.BooleanField()
    articles = models.PositiveIntegerField()
    readers = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.until}: {self.readers} x {self.articles}"
