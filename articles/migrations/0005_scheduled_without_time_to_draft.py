"""Scheduled articles without a publish time go back to draft, with a logged change.

Before the ``article_scheduled_has_time`` constraint (0006), clearing "Publish
at" on a scheduled article or restoring a revision without one left it
scheduled forever: never published, never reported late. Such rows are moved
to draft here, and the publication log says why.
"""

from django.db import migrations
from django.utils import timezone

NOTE = "Scheduled without a publish time: returned to draft by migration"


def forward(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    ArticleTransition = apps.get_model("articles", "ArticleTransition")
    stuck = list(
        Article.objects.filter(status="scheduled", publish_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    now = timezone.now()
    ArticleTransition.objects.bulk_create(
        ArticleTransition(
            article_id=pk, from_status="scheduled", to_status="draft", at=now, note=NOTE
        )
        for pk in stuck
    )
    Article.objects.filter(pk__in=stuck).update(status="draft")


class Migration(migrations.Migration):
    dependencies = [("articles", "0004_search_vectors")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
