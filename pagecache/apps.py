from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    """Whole-page cache: the store, its fast path, and invalidation.

    The receivers that purge the cache when content, accounts or plans change
    are connected here, so the Celery worker (which loads no URLconf) purges too.
    """

    name = "pagecache"
    verbose_name = "Page cache"

    def ready(self) -> None:
        from . import listindex, readers
        from .store import connect_invalidation

        connect_invalidation()
        readers.connect_invalidation()
        listindex.connect_invalidation()
