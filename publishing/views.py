"""The staff status page: what is due, late, failing, and recently happened."""

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from articles.models import Article, ArticleTransition
from publishing import pipeline as publishing

from . import selectors
from .models import SideEffectRun, TaskFailure


@staff_member_required
@permission_required("pipeline.view_taskfailure", raise_exception=True)
def status(request):
    now = timezone.now()
    context = {
        "now": now,
        "late": publishing.late_articles(now=now).select_related("section")[:50],
        "due": Article.objects.due(at=now).select_related("section").order_by("publish_at")[:50],
        "upcoming": Article.objects.filter(status="scheduled", publish_at__gt=now)
        .select_related("section")
        .order_by("publish_at")[:50],
        "failures": TaskFailure.objects.filter(resolved_at__isnull=True).select_related("article")[
            :50
        ],
        "late_after": int(publishing.late_after().total_seconds()),
        "failed_runs": SideEffectRun.objects.filter(status=SideEffectRun.Status.FAILED)
        .select_related("article")
        .order_by("-created_at")[:50],
        "log": ArticleTransition.objects.select_related("article", "by")[:50],
    }
    return render(request, "pipeline/status.html", context)


@staff_member_required
@permission_required("pipeline.view_publicationlogentry", raise_exception=True)
def article_log(request, article_id: int):
    article = get_object_or_404(Article, pk=article_id)
    context = {"article": article, **selectors.article_log(article)}
    return render(request, "pipeline/article_log.html", context)
