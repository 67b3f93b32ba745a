"""Fill the newsroom with demo content, accounts and a business. Safe to run again."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from analytics.demo_business import DEFAULT_SEED, SCALES, seed_business
from articles.demo import seed_content
from subscriptions.demo import ACCOUNTS, DEMO_PASSWORD, seed_accounts, seed_plans


class Command(BaseCommand):
    help = (
        "Seed demo sections, topics, photos, articles, plans and accounts, and a year of "
        "readers, subscriptions, payments and reads (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles", type=int, default=120, help="How many demo articles (default 120)."
        )
        parser.add_argument(
            "--business",
            choices=[*SCALES, "none"],
            default="full",
            help="The demo business: full (default, about a minute), small (for tests), none.",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="The business's random seed."
        )

    def handle(self, *args, articles: int, business: str, seed: int, **options):
        if articles < 0:
            raise CommandError("--articles must be zero or more.")
        started = time.monotonic()
        plans = seed_plans()
        content = seed_content(articles=articles)
        users = seed_accounts(plans)
        self.stdout.write(
            f"Seeded {content['articles_created']} new articles (target {articles}), "
            f"{content['photos']} photos, {len(plans)} plans, {len(users)} accounts "
            f"in {time.monotonic() - started:.1f} s."
        )
        if business != "none":
            started = time.monotonic()
            staff = get_user_model().objects.get(username="subs")
            made = seed_business(plans=plans, staff=staff, scale=business, seed=seed)
            if made.get("skipped"):
                self.stdout.write("The demo business is already there: left as it is.")
            else:
                self.stdout.write(
                    f"Seeded a {business} business: {made['readers']} readers, "
                    f"{made['visitors']} anonymous meters, {made['subscriptions']} "
                    f"subscriptions, {made['views']} paywalled views "
                    f"in {time.monotonic() - started:.1f} s ({made['timings']})."
                )
        if options["verbosity"] > 1:
            for username, *_ in ACCOUNTS:
                self.stdout.write(f"  {username} / {DEMO_PASSWORD}")
