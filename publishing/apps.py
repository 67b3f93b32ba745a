import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class PublishingConfig(AppConfig):
    """The workflow's actions, their side effects, exact-time scheduling, the sweep
    and the beat lease.

    The label stays ``pipeline``: the app's tables, migrations and admin URLs
    were created under that name.
    """

    name = "publishing"
    label = "pipeline"
    verbose_name = _("Publication pipeline")

    def ready(self):
        from celery.signals import task_failure

        task_failure.connect(_task_failed, dispatch_uid="pipeline-task-failure")


def _task_failed(sender=None, task_id=None, exception=None, args=None, einfo=None, **kwargs):
    """A task gave up (retries exhausted, or an error not worth retrying): keep it for staff."""
    from . import pipeline as publishing

    name = getattr(sender, "name", str(sender))
    article_id = None
    if name.startswith("publishing.tasks.") and args:
        article_id = _article_of(name, args[0])
    try:
        publishing.record_failure(
            task_name=name,
            task_id=task_id or "",
            article_id=article_id,
            args=list(args or []),
            error=f"{exception.__class__.__name__}: {exception}",
            traceback=str(einfo or ""),
        )
    except Exception:
        logger.exception("could not record the failure of %s", name)


def _article_of(task_name: str, first_arg) -> int | None:
    from articles.models import Article, ArticleTransition

    from .models import SideEffectRun

    if not isinstance(first_arg, int):
        return None
    if task_name.endswith(("publish_scheduled_article", "lift_embargo", "expire_article")):
        return first_arg if Article.objects.filter(pk=first_arg).exists() else None
    if task_name.endswith("start_side_effects"):
        transitions = ArticleTransition.objects.filter(pk=first_arg)
        return transitions.values_list("article_id", flat=True).first()
    return SideEffectRun.objects.filter(pk=first_arg).values_list("article_id", flat=True).first()
