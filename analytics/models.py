"""Readership: page views rolled up per hour, the most-read ranking and hot topics.

The tables were created by the publication pipeline's first migration and keep
their names (``pipeline_*``); this app owns them now.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Topic


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
