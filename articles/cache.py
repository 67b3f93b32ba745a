"""The page cache and its invalidation.

The reader site implements the cache; the pipeline's after-publish task calls
``purge_for_article`` and friends.
"""


def purge_for_article(article) -> None:
    """Forget every cached page that shows this article (its page, lists, home)."""
    return None


def purge_feeds_and_sitemaps() -> None:
    """Forget cached feeds and sitemaps (called by the pipeline after a publish)."""
    return None
