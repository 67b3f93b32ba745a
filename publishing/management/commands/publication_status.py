"""``manage.py publication_status``: what is due, late, failing and coming up."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from articles.models import Article
from publishing import effects
from publishing import pipeline as publishing
from publishing.models import SideEffectRun, TaskFailure


class Command(BaseCommand):
    help = "List scheduled articles that are due or late, failed tasks, and what comes next."

    def add_arguments(self, parser):
        parser.add_argument("--upcoming", type=int, default=10, help="How many upcoming to list.")

    def handle(self, *args, upcoming, **options):
        now = timezone.now()
        late_ids = set(publishing.late_articles(now=now).values_list("pk", flat=True))
        due = list(Article.objects.due(at=now).order_by("publish_at"))
        self._section("Due now", len(due))
        for article in due:
            lag = int((now - article.publish_at).total_seconds())
            mark = "LATE " if article.pk in late_ids else ""
            self.stdout.write(f"  {mark}#{article.pk} {article.headline!r} due {lag} s ago")
        late_after = int(publishing.late_after().total_seconds())
        self._section(f"Late (more than {late_after} s)", len(late_ids))

        failures = list(TaskFailure.objects.filter(resolved_at__isnull=True)[:50])
        runs = list(SideEffectRun.objects.filter(status=SideEffectRun.Status.FAILED)[:50])
        retrying = [run for run in runs if not run.gave_up]
        given_up = [run for run in runs if run.gave_up]
        self._section("Failed tasks", len(failures))
        for failure in failures:
            article = f" article #{failure.article_id}" if failure.article_id else ""
            self.stdout.write(
                f"  {failure.task_name}{article} x{failure.occurrences} "
                f"last {timezone.localtime(failure.last_seen):%Y-%m-%d %H:%M:%S}: "
                f"{failure.error[:120]}"
            )
        self._section("Side effects retrying", len(retrying))
        for run in retrying:
            retry_by = timezone.localtime(effects.retry_overdue_at(run))
            self.stdout.write(
                f"  {run.effect} article #{run.article_id} attempts {run.attempts}, "
                f"retried by {retry_by:%H:%M:%S} at the latest: {run.last_error[:120]}"
            )
        self._section("Side effects given up (run again from the admin)", len(given_up))
        for run in given_up:
            self.stdout.write(
                f"  {run.effect} article #{run.article_id} attempts {run.attempts}: "
                f"{run.last_error[:120]}"
            )

        coming = list(
            Article.objects.filter(status="scheduled", publish_at__gt=now).order_by("publish_at")[
                :upcoming
            ]
        )
        self._section("Scheduled next", len(coming))
        for article in coming:
            when = timezone.localtime(article.publish_at)
            self.stdout.write(f"  #{article.pk} {article.headline!r} at {when:%Y-%m-%d %H:%M:%S}")
        if late_ids or failures or given_up:
            self.stderr.write(self.style.WARNING("Attention needed: see above."))

    def _section(self, title, count):
        self.stdout.write(self.style.MIGRATE_HEADING(f"{title}: {count}"))
