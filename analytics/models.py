"""Readership: page views rolled up per hour, the most-read ranking and hot topics;
the subscription funnel (events, daily counts) and its attribution to articles.

The tables were created by the publication pipeline's first migration and keep
their names (``pipeline_*``); this app owns them now.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Topic
from paywall.funnel import Event


class ViewCount(models.Model):
    """Page views of one article in one hour (rolled up, never a row per view)."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    hour = models.DateTimeField(verbose_name=_("hour"))
    views = models.PositiveIntegerField(default=0, verbose_name=_("views"))

    class Meta:
        db_table = "pipeline_viewcount"
        verbose_name = _("hourly views")
        verbose_name_plural = _("hourly views")
        constraints = [models.UniqueConstraint(fields=["article", "hour"], name="views_per_hour")]
        indexes = [models.Index(fields=["hour"], name="views_hour_idx")]

    def __str__(self) -> str:
        return f"{self.article_id} @ {self.hour:%Y-%m-%d %H}: {self.views}"


class MostRead(models.Model):
    """The most-read ranking, replaced by each roll-up."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, related_name="most_read", verbose_name=_("article")
    )
    rank = models.PositiveSmallIntegerField(verbose_name=_("rank"))
    views = models.PositiveIntegerField(verbose_name=_("views"))
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        db_table = "pipeline_mostread"
        ordering = ["rank"]
        verbose_name = _("most-read entry")
        verbose_name_plural = _("most read")

    def __str__(self) -> str:
        return f"#{self.rank} article {self.article_id}"


class TrendingTopic(models.Model):
    """Topics ranked by the views of their articles, replaced by each roll-up."""

    topic = models.OneToOneField(
        Topic, on_delete=models.CASCADE, related_name="trending", verbose_name=_("topic")
    )
    rank = models.PositiveSmallIntegerField(verbose_name=_("rank"))
    views = models.PositiveIntegerField(verbose_name=_("views"))
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        db_table = "pipeline_trendingtopic"
        verbose_name = _("trending topic")
        verbose_name_plural = _("trending topics")
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"#{self.rank} topic {self.topic_id}"


# --- The subscription funnel ------------------------------------------------------
# Events are recorded on the request path by ``paywall.funnel.record`` (a Redis
# list, or a process buffer) and written here by the roll-up
# (``analytics.funnel.roll_up``), exactly once per ``event_id``.


class FunnelEvent(models.Model):
    """One step a reader took towards (or away from) a subscription.

    Never holds article text: only ids, the paywall's reason, the rules version
    and the experiment arm the reader saw.
    """

    event_id = models.CharField(max_length=36, unique=True)
    kind = models.CharField(_("event"), max_length=32, choices=Event.choices)
    at = models.DateTimeField(_("at"))
    day = models.DateField(_("day"))  # ``at``'s day on the newsroom's clock
    # "u:<user id>" for a signed-in reader, "m:<meter id>" for an anonymous one.
    reader = models.CharField(_("reader"), max_length=80, db_index=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funnel_events",
    )
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    rules_version = models.CharField(_("rules version"), max_length=40, blank=True)
    # ``paywall.Experiment``'s id; a plain integer so this app does not depend on it.
    experiment_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    arm = models.CharField(_("arm"), max_length=40, blank=True)
    amount_idr = models.BigIntegerField(_("amount (IDR)"), default=0)
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("funnel event")
        verbose_name_plural = _("funnel events")
        indexes = [
            models.Index(fields=["kind", "day"], name="funnel_kind_day_idx"),
            models.Index(fields=["experiment_id", "arm", "kind"], name="funnel_arm_kind_idx"),
            models.Index(fields=["reader", "at"], name="funnel_reader_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reader} @ {self.at:%Y-%m-%d %H:%M}"


class FunnelDaily(models.Model):
    """Funnel events per day and what they share (recomputed from ``FunnelEvent``
    for every day a roll-up touched, so it is idempotent by construction)."""

    day = models.DateField(_("day"))
    kind = models.CharField(_("event"), max_length=32, choices=Event.choices)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rules_version = models.CharField(_("rules version"), max_length=40, blank=True)
    experiment_id = models.PositiveIntegerField(null=True, blank=True)
    arm = models.CharField(_("arm"), max_length=40, blank=True)
    events = models.PositiveIntegerField(_("events"), default=0)
    amount_idr = models.BigIntegerField(_("amount (IDR)"), default=0)

    class Meta:
        verbose_name = _("funnel day")
        verbose_name_plural = _("funnel days")
        indexes = [
            models.Index(fields=["day", "kind"], name="funneldaily_day_kind_idx"),
            models.Index(fields=["article", "kind"], name="funneldaily_article_idx"),
            models.Index(fields=["experiment_id", "arm"], name="funneldaily_arm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.events}"


class FunnelDayTotal(models.Model):
    """``FunnelDaily`` summed per day, event and reason, over articles, rules
    versions and arms: the revenue desk's funnel reads a few rows per day from
    it instead of one per article. Recomputed with ``FunnelDaily``
    (``analytics.funnel.recount_totals``)."""

    day = models.DateField(_("day"))
    kind = models.CharField(_("event"), max_length=32, choices=Event.choices)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    events = models.PositiveIntegerField(_("events"), default=0)
    amount_idr = models.BigIntegerField(_("amount (IDR)"), default=0)

    class Meta:
        verbose_name = _("funnel day total")
        verbose_name_plural = _("funnel day totals")
        constraints = [
            models.UniqueConstraint(fields=["day", "kind", "reason"], name="funnel_total_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.reason}: {self.events}"


class Attribution(models.Model):
    """A new subscription credited to the article that led to it, by one model."""

    class Model(models.TextChoices):
        FIRST_TOUCH = "first_touch", _("First touch")
        LAST_TOUCH = "last_touch", _("Last touch")

    subscription = models.ForeignKey(
        "subscriptions.Subscription", on_delete=models.CASCADE, related_name="attributions"
    )
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="attributions"
    )
    model = models.CharField(_("model"), max_length=16, choices=Model.choices)
    credited_idr = models.BigIntegerField(_("credited (IDR)"), default=0)
    touched_at = models.DateTimeField(_("touched at"), null=True, blank=True)
    touch_kind = models.CharField(max_length=32, choices=Event.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The subscription's own ``created_at``, copied: the revenue desk ranks the
    # credits of the subscriptions started in a range without joining them.
    subscribed_at = models.DateTimeField(_("subscribed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "model"], name="one_credit_per_model")
        ]
        indexes = [
            models.Index(fields=["model", "subscribed_at"], name="attribution_subscribed_idx")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} -> {self.article_id} ({self.model})"

    def save(self, *args, **kwargs):
        if self.subscribed_at is None and self.subscription_id is not None:
            self.subscribed_at = self.subscription.created_at
        super().save(*args, **kwargs)


class ReaderLink(models.Model):
    """An anonymous reader (``m:<meter id>``) who signed up or in as ``user``:
    attribution follows the reader's earlier anonymous events across sign-in."""

    reader = models.CharField(max_length=80)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reader link")
        verbose_name_plural = _("reader links")
        constraints = [models.UniqueConstraint(fields=["reader", "user"], name="one_link_per_pair")]
        indexes = [models.Index(fields=["user"], name="readerlink_user_idx")]

    def __str__(self) -> str:
        return f"{self.reader} = user {self.user_id}"
