from django.apps import AppConfig


class ReaderSiteConfig(AppConfig):
    """The reader site's own wiring: page-cache invalidation and search indexes.

    The pages themselves live in ``articles`` (views, templates, feeds); this
    app holds what needs an AppConfig or a migration of its own: the receivers
    that purge the page cache when content changes (connected here so the
    Celery worker, which loads no URLconf, purges too) and the PostgreSQL
    full-text indexes.
    """

    name = "readersite"
    verbose_name = "Reader site"

    def ready(self) -> None:
        from articles.cache import connect_invalidation

        from . import readers

        connect_invalidation()
        readers.connect_invalidation()
