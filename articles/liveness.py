"""The one liveness rule: when readers may see an article.

An article is live when its row says ``published``, its publication time has
come, any embargo has lifted, and it has not expired. ``is_live`` answers it
for values in hand (a model instance, a page-cache entry's metadata);
``live_q`` answers it in the database (``ArticleQuerySet.published``). Both are
this module, so the page, the page cache's fast path, the API, feeds, search,
sitemaps and the admin's "view on site" cannot disagree.
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

PUBLISHED = "published"


def is_live(
    *,
    status: str,
    published_at: datetime | None,
    embargo_until: datetime | None,
    expires_at: datetime | None,
    at: datetime | None = None,
) -> bool:
    now = at or timezone.now()
    return (
        status == PUBLISHED
        and published_at is not None
        and published_at <= now
        and (embargo_until is None or embargo_until <= now)
        and (expires_at is None or expires_at > now)
    )


def live_q(*, at: datetime | None = None, prefix: str = "") -> Q:
    """The same rule as a filter on the article table (``prefix``: through a relation,
    e.g. ``"article__"`` to filter status changes by whether their article is live)."""
    now = at or timezone.now()

    def q(**lookups) -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})

    return (
        q(status=PUBLISHED, published_at__lte=now)
        & (q(embargo_until__isnull=True) | q(embargo_until__lte=now))
        & (q(expires_at__isnull=True) | q(expires_at__gt=now))
    )


def liveness_facts(article) -> dict:
    """What ``is_live`` needs, as plain values a cache entry can keep."""
    return {
        "status": article.status,
        "published_at": article.published_at,
        "embargo_until": article.embargo_until,
        "expires_at": article.expires_at,
    }
