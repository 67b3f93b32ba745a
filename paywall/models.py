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


# --- Experiments: rule sets side by side on real readers ----------------------------------
# ``paywall.experiments`` buckets readers and records exposures; the admin
# (``paywall.admin``) starts, stops and promotes; every state change is an
# ``ExperimentLog`` row (who, when, why). Results per arm: ``analytics.experiments``.


class ExperimentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    STOPPED = "stopped", _("Stopped")
    PROMOTED = "promoted", _("Promoted")


class Experiment(models.Model):
    """Two or more arms, each a rule set version and a share of the readers.

    At most one experiment runs at a time (a partial unique index): every
    reader is in at most one arm, so a decision has one set of rules."""

    name = models.CharField(_("name"), max_length=120)
    hypothesis = models.TextField(_("hypothesis"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ExperimentStatus.choices, default=ExperimentStatus.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("stopped by"),
    )
    winner = models.CharField(_("winning arm"), max_length=40, blank=True)
    promoted_ruleset = models.ForeignKey(
        RuleSet,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("promoted as"),
        help_text=_("The rules version the winning arm became."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
        # Changed only through ``paywall.experiments`` (start, stop, promote).
        default_permissions = ("add", "change", "view")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="experiment_one_running",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ExperimentArm(models.Model):
    """One arm: a rule set version and the percentage of readers it gets. The
    first arm (lowest ``position``) is the control the others are tested against."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=80, blank=True)
    ruleset = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("rules version")
    )
    weight = models.PositiveSmallIntegerField(
        _("share of readers (%)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["experiment", "position", "pk"]
        verbose_name = _("arm")
        verbose_name_plural = _("arms")
        default_permissions = ("add", "view")
        constraints = [
            models.UniqueConstraint(fields=["experiment", "key"], name="experiment_arm_key"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=100), name="experiment_arm_weight"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.ruleset}"


class Exposure(models.Model):
    """A reader met the experiment: a metered or gated decision was made under
    their arm's rules. Once per reader (``reader`` is the bucketing key:
    "m:<meter id>" or "u:<user id>"); ``user`` is set when the reader is or
    becomes signed in, and pins the account to the arm on other devices."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="exposures")
    arm = models.CharField(_("arm"), max_length=40)
    reader = models.CharField(_("reader"), max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)

    class Meta:
        verbose_name = _("exposure")
        verbose_name_plural = _("exposures")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["experiment", "reader"], name="exposure_once")
        ]
        indexes = [
            models.Index(fields=["experiment", "user"], name="exposure_user_idx"),
            models.Index(fields=["experiment", "arm"], name="exposure_arm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment_id}:{self.reader}->{self.arm}"


class ExperimentAction(models.TextChoices):
    CREATED = "created", _("Created")
    STARTED = "started", _("Started")
    STOPPED = "stopped", _("Stopped")
    PROMOTED = "promoted", _("Promoted")


class ExperimentLog(models.Model):
    """The audit trail of an experiment: who did what, when and why. Written by
    ``paywall.experiments`` in the same transaction as the change; never edited."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(_("action"), max_length=16, choices=ExperimentAction.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    why = models.TextField(_("why"), blank=True)
    arm = models.CharField(_("arm"), max_length=40, blank=True)
    ruleset = models.ForeignKey(
        RuleSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("experiment log entry")
        verbose_name_plural = _("experiment log")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.experiment_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
