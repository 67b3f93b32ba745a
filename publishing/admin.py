"""Staff views of the pipeline: failed tasks, side-effect runs, the publication log."""

from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import effects, selectors
from .models import PublicationLogEntry, SideEffectRun, TaskFailure


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TaskFailure)
class TaskFailureAdmin(_ReadOnly):
    list_display = ["task_name", "article", "error_line", "occurrences", "last_seen", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "task_name"]
    list_select_related = ["article"]
    search_fields = ["task_name", "error", "article__headline"]
    date_hierarchy = "last_seen"
    actions = ["mark_resolved"]

    @admin.display(description=_("error"))
    def error_line(self, obj):
        return obj.error[:120]

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("pipeline.change_taskfailure")

    @admin.action(description=_("Mark as resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        count = queryset.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
        self.message_user(request, _("%d failure(s) marked resolved.") % count)


@admin.register(SideEffectRun)
class SideEffectRunAdmin(_ReadOnly):
    list_display = ["effect", "article", "status", "attempts", "created_at", "done_at"]
    list_filter = ["status", "effect"]
    list_select_related = ["article"]
    search_fields = ["article__headline", "last_error"]
    actions = ["retry"]

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("pipeline.change_sideeffectrun")

    @admin.action(description=_("Run again (failed or stuck only)"), permissions=["change"])
    def retry(self, request, queryset):
        runs = list(queryset.exclude(status=SideEffectRun.Status.DONE).values_list("pk", flat=True))
        for pk in runs:
            effects.retry_run(run_id=pk)
        self.message_user(request, _("%d run(s) sent to the worker.") % len(runs), messages.INFO)


@admin.register(PublicationLogEntry)
class PublicationLogAdmin(_ReadOnly):
    """Every status change of every article; filter by article to see one article's log."""

    list_display = ["at", "article", "from_status", "to_status", "by_label", "note"]
    list_filter = ["to_status"]
    list_select_related = ["article", "by"]
    search_fields = ["article__headline", "=article__id", "note"]
    date_hierarchy = "at"

    @admin.display(description=_("by"))
    def by_label(self, obj):
        return obj.by or _("system (scheduler)")

    def has_delete_permission(self, request, obj=None):
        return False


def article_publication_log(article) -> str:
    """For the article's change page: its status changes and side-effect runs, as HTML.

    Rendered read-only into a field rather than as inlines, so the article
    form posts nothing for them (and the page costs two queries, not one a row).
    """
    if article is None or article.pk is None:
        return ""
    return render_to_string("pipeline/_article_log_tables.html", selectors.article_log(article))
