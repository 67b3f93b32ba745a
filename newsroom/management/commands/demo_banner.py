"""Print where the demo runs and how to log in."""

from django.core.management.base import BaseCommand

from subscriptions.demo import ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demo's URLs and accounts."

    def handle(self, *args, **options):
        base = "http://127.0.0.1:8000"
        lines = [
            "",
            "Newsroom demo is starting (web, Celery worker and beat; Ctrl-C stops all three).",
            f"  Site:      {base}/",
            f"  Admin:     {base}/admin/",
            f"  API docs:  {base}/api/v1/docs",
            f"  Health:    {base}/healthz",
            f"Accounts (password for all: {DEMO_PASSWORD}):",
        ]
        for username, _full_name, role, plan in ACCOUNTS:
            what = role or (f"reader with the {plan} plan" if plan else "registered reader")
            lines.append(f"  {username:<10} {what}")
        self.stdout.write("\n".join(lines) + "\n")
