"""Reads of the pipeline's records, shared by its status pages and the article admin."""

from articles.models import Article

from .models import SideEffectRun


def article_log(article: Article) -> dict:
    """One article's status changes and side-effect runs, newest first (two queries)."""
    return {
        "log": list(article.transitions.select_related("by").order_by("-at", "-pk")),
        "runs": list(
            SideEffectRun.objects.filter(article=article).order_by("-created_at", "effect")
        ),
    }
