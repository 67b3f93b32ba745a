from django.db import models
from django.utils import timezone

from .liveness import live_q

# Full-text vectors stay in the database unless a search asks for them.
SEARCH_VECTORS = ("search_title", "search_body")


class ArticleQuerySet(models.QuerySet):
    def published(self, *, at=None):
        """Articles a reader may find now: published, past embargo, not expired."""
        return self.filter(live_q(at=at))

    def for_listing(self):
        """What a teaser card needs, in the same query (no N+1 on lists)."""
        return self.select_related("section", "lead_photo", "lead_photo__agency")

    def due(self, *, at=None):
        """Scheduled articles whose publish time has come."""
        now = at or timezone.now()
        return self.filter(status="scheduled", publish_at__lte=now)


class ArticleManager(models.Manager.from_queryset(ArticleQuerySet)):
    """The default manager: every query leaves the (large) search vectors unread."""

    def get_queryset(self):
        return super().get_queryset().defer(*SEARCH_VECTORS)
