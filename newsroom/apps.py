from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core.roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, sender=self)

        from django.db.backends.signals import connection_created

        from core.timestamps import use_compiled_loader

        # Dates from PostgreSQL parsed by psycopg's compiled loader (``core.timestamps``).
        connection_created.connect(use_compiled_loader, dispatch_uid="core.timestamps")
        # The embedded database and the broker's folders must exist before use.
        from django.conf import settings

        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)

        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            for sub in ("out", "processed"):
                (settings.BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
