"""Fill the newsroom with demo content and accounts. Safe to run again."""

import time

from django.core.management.base import BaseCommand, CommandError

from articles.demo import seed_content
from subscriptions.demo import ACCOUNTS, DEMO_PASSWORD, seed_accounts, seed_plans


class Command(BaseCommand):
    help = "Seed demo sections, topics, photos, articles, plans and accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles", type=int, default=120, help="How many demo articles (default 120)."
        )

    def handle(self, *args, articles: int, **options):
        if articles < 0:
            raise CommandError("--articles must be zero or more.")
        started = time.monotonic()
        plans = seed_plans()
        content = seed_content(articles=articles)
        users = seed_accounts(plans)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {content['articles_created']} new articles (target {articles}), "
            f"{content['photos']} photos, {len(plans)} plans, {len(users)} accounts "
            f"in {elapsed:.1f} s."
        )
        if options["verbosity"] > 1:
            for username, *_ in ACCOUNTS:
                self.stdout.write(f"  {username} / {DEMO_PASSWORD}")
