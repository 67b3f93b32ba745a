from django.db import models
from django.utils import timezone


class ArticleQuerySet(models.QuerySet):
    def published(self, *, at=None):
        """Articles a reader may find now: published, past embargo, not expired."""
        now = at or timezone.now()
        return (
            self.filter(status="published", published_at__lte=now)
            .exclude(embargo_until__gt=now)
            .exclude(expires_at__lte=now)
        )

    def for_listing(self):
        """What a teaser card needs, in the same query (no N+1 on lists)."""
        return self.select_related("section", "lead_photo", "lead_photo__agency")

    def due(self, *, at=None):
        """Scheduled articles whose publish time has come."""
        now = at or timezone.now()
        return self.filter(status="scheduled", publish_at__lte=now)
