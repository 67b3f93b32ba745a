"""The paywall's tables: the meter (who holds an allowance, which articles
they read when) and the rules as versioned data (``RuleSet``, ``RuleOverride``).

The meter tables were created by ``subscriptions`` migration 0002 and keep
their names (``subscriptions_meter*``); the paywall owns them now.
"""

from datetime import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .rules import Cookieless, Override, OverrideKind, OverrideTarget, PaywallRules, Period


class Meter(models.Model):
    """A free-article allowance owner: one per account, one per anonymous cookie id."""

    token = models.UUIDField(null=True, blank=True, unique=True, verbose_name=_("token"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="meter",
        verbose_name=_("user"),
    )
    # A meter born from a tampered cookie starts the month with nothing left.
    exhausted_period = models.DateField(null=True, blank=True, verbose_name=_("exhausted period"))
    merged_into = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

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

    meter = models.ForeignKey(
        Meter, on_delete=models.CASCADE, related_name="reads", verbose_name=_("meter")
    )
    article = models.ForeignKey(
        "articles.Article", on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    # The read's period key (``meter.period_key``): the first day of its month
    # under a calendar-month meter, its own day under a rolling one. Counting
    # goes by ``read_at`` within the current window, so reads carry over when
    # the period kind changes.
    period = models.DateField(
        help_text=_("First day of the read's month (calendar month meter), or its day (rolling)."),
        verbose_name=_("period"),
    )
    read_at = models.DateTimeField(default=timezone.now, verbose_name=_("read at"))

    class Meta:
        db_table = "subscriptions_meterread"
        verbose_name = _("metered read")
        verbose_name_plural = _("metered reads")
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "article", "period"], name="meter_read_once_per_period"
            )
        ]
        # The rules' what-if counts the reads of the last 30 days.
        indexes = [models.Index(fields=["read_at"], name="meter_read_at_idx")]

    def __str__(self) -> str:
        return f"{self.meter_id}:{self.article_id}@{self.period}"


# --- The rules, as versioned data --------------------------------------------------------


class RuleSetQuerySet(models.QuerySet):
    def in_force_order(self):
        return self.order_by("-effective_from", "-number")

    def active(self, *, at):
        """Versions that have started by ``at``, the one in force first."""
        return self.filter(effective_from__lte=at).in_force_order()

    def scheduled(self, *, at):
        """Versions that start after ``at``, the next one first."""
        return self.filter(effective_from__gt=at).order_by("effective_from", "number")

    def in_force(self, *, at) -> tuple[PaywallRules | None, datetime | None]:
        """The rules in force at ``at`` (None before any version) and when the next
        scheduled version starts (None: none scheduled). One query without any
        version, two with (the overrides)."""
        upcoming = self.scheduled(at=at).values("pk")[:1]
        rows = list(
            self.filter(models.Q(effective_from__lte=at) | models.Q(pk__in=upcoming))
            .in_force_order()
            .prefetch_related("overrides")[:2]
        )
        if rows and rows[0].effective_from > at:
            upcoming_from, rows = rows[0].effective_from, rows[1:]
        else:
            upcoming_from = None
        return (rows[0].as_rules() if rows else None), upcoming_from


class RuleSet(models.Model):
    """One version of the paywall rules. Never edited: a change is a new version,
    a rollback a new version copying an older one (``paywall.rulesets``)."""

    number = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    effective_from = models.DateTimeField(_("effective from"), db_index=True)
    anonymous_allowance = models.PositiveIntegerField(_("anonymous allowance"))
    registered_allowance = models.PositiveIntegerField(_("registered allowance"))
    period = models.CharField(
        _("meter period"), max_length=16, choices=Period.choices, default=Period.CALENDAR_MONTH
    )
    period_days = models.PositiveSmallIntegerField(
        _("days in the rolling period"), null=True, blank=True
    )
    teaser_blocks = models.PositiveSmallIntegerField(
        _("teaser blocks"), validators=[MinValueValidator(1)]
    )
    cookieless = models.CharField(
        _("readers without the meter cookie"),
        max_length=16,
        choices=Cookieless.choices,
        default=Cookieless.NETWORK,
    )
    network_allowance = models.PositiveIntegerField(
        _("new meter ids per network per day"), default=1000
    )
    premium_metered_hours = models.PositiveIntegerField(
        _("premium articles are metered for their first N hours"), null=True, blank=True
    )
    why = models.TextField(_("why"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,  # a version saved from code (a command, a test)
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    copied_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The version a rollback copied."),
        verbose_name=_("copied from"),
    )

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from", "-number"]
        verbose_name = _("paywall rules version")
        verbose_name_plural = _("paywall rules")
        # Versions are added, never changed or deleted.
        default_permissions = ("add", "view")
        constraints = [
            models.CheckConstraint(condition=models.Q(teaser_blocks__gte=1), name="rules_teaser"),
            models.CheckConstraint(
                condition=~models.Q(period=Period.ROLLING_DAYS) | models.Q(period_days__gte=1),
                name="rules_rolling_needs_days",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"

    def as_rules(self) -> PaywallRules:
        """The frozen rules the policy reads (overrides prefetched or queried)."""
        return PaywallRules(
            anonymous_allowance=self.anonymous_allowance,
            registered_allowance=self.registered_allowance,
            teaser_blocks=self.teaser_blocks,
            cookieless=Cookieless(self.cookieless),
            network_allowance=self.network_allowance,
            period=Period(self.period),
            period_days=self.period_days if self.period == Period.ROLLING_DAYS else None,
            premium_metered_hours=self.premium_metered_hours or None,
            overrides=tuple(
                Override(
                    target=OverrideTarget(o.target),
                    slug=o.slug,
                    kind=OverrideKind(o.kind),
                    days=o.days if o.kind == OverrideKind.ARCHIVE_WALL else None,
                )
                for o in sorted(self.overrides.all(), key=lambda o: (o.target, o.slug))
            ),
            version=f"{self.number}.{self.created_at:%y%m%d%H%M%S}",
        )


class RuleOverride(models.Model):
    """A section's or topic's override in one rule set version (by slug: see ``Override``)."""

    ruleset = models.ForeignKey(
        RuleSet, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("ruleset")
    )
    target = models.CharField(_("applies to"), max_length=16, choices=OverrideTarget.choices)
    slug = models.SlugField(_("slug"), max_length=80)
    kind = models.CharField(_("override"), max_length=24, choices=OverrideKind.choices)
    days = models.PositiveSmallIntegerField(_("days (archive wall)"), null=True, blank=True)

    class Meta:
        verbose_name = _("override")
        verbose_name_plural = _("overrides")
        default_permissions = ("add", "view")
        constraints = [
            # One override per section or topic and version: two would conflict.
            models.UniqueConstraint(
                fields=["ruleset", "target", "slug"], name="rules_one_override_per_target"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=OverrideKind.ARCHIVE_WALL) | models.Q(days__gte=1),
                name="rules_archive_needs_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.slug}: {self.get_kind_display()}"
