"""The revenue desk at volume: every page's answer time at 1,000,000 funnel events
and 50,000 subscribers (issue 13's target: 300 ms or less), on PostgreSQL.

    createdb ...; DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \\
        .venv/bin/python bench/revenue_desk.py [--refill] [--runs 7]

It migrates the database, fills it once in SQL (``generate_series``; a
re-run reuses the data unless ``--refill``), then asks every page (default
range, a whole year, and a CSV) through Django's test client as the chief
editor, in this process: the time is the server's (view, queries, template),
without a network. Writes ``bench/results/revenue-desk-<time>.md``.

Volume (all relative to now):
- 50,000 readers, each with a subscription started in the last 365 days
  (Premium or Ad-free, a fifth yearly; 10 % trialing or past their trial,
  10 % canceled, 20 % expired), and 5,000 of the expired coming back; a
  succeeded charge for each paid start;
- 1,000,000 funnel events over the last 365 days in the funnel's proportions,
  on 500 articles, rolled up into ``FunnelDaily`` as the roll-up does
  (one row per day, kind, reason, article, rules version, experiment arm)
  and its per-day totals ``FunnelDayTotal``;
- first- and last-touch attribution for every subscription;
- 100,000 meters (90,000 anonymous, 10,000 accounts) with 300,000 metered
  reads in the last 30 days; 6 rule versions and an experiment's log.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from revenue import snapshots  # noqa: E402

SUBSCRIBERS = 50_000
EVENTS = 1_000_000
ARTICLES = 500
METERS = 100_000
READS = 300_000
TARGET_MS = 300.0

PAGES = [
    ("overview", "/admin/revenue/"),
    ("overview, 1 year", "/admin/revenue/?start={year_ago}"),
    ("subscribers", "/admin/revenue/subscribers/"),
    ("subscribers, 1 year by week", "/admin/revenue/subscribers/?start={year_ago}&grain=week"),
    ("cohorts (12 months)", "/admin/revenue/cohorts/"),
    ("cohorts (24 months)", "/admin/revenue/cohorts/?months=24"),
    ("funnel", "/admin/revenue/funnel/"),
    ("funnel, 1 year", "/admin/revenue/funnel/?start={year_ago}"),
    ("articles", "/admin/revenue/articles/"),
    (
        "articles, 1 year, first touch",
        "/admin/revenue/articles/?start={year_ago}&model=first_touch",
    ),
    ("what-if", "/admin/revenue/whatif/"),
    ("timeline", "/admin/revenue/timeline/"),
    (
        "CSV: movements, 1 year",
        "/admin/revenue/subscribers/?start={year_ago}&format=csv&table=movements",
    ),
    (
        "CSV: funnel per day, 1 year",
        "/admin/revenue/funnel/?start={year_ago}&format=csv&table=days",
    ),
]


def sql(statement: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def scalar(statement: str):
    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()[0]


def fill() -> dict[str, float]:
    """Fill the database; returns seconds per step."""
    from articles.models import Author, Section
    from paywall.models import Experiment, ExperimentLog
    from paywall.rules import PaywallRules
    from paywall.rulesets import ruleset_create
    from subscriptions.models import Plan

    took = {}
    now = timezone.now()

    def step(name):
        took[name] = time.perf_counter()

    def done(name):
        took[name] = round(time.perf_counter() - took[name], 1)
        print(f"  {name}: {took[name]} s", flush=True)

    step("content, plans, rules")
    premium, _ = Plan.objects.get_or_create(
        code="premium",
        defaults={"name": "Premium", "price_monthly": 65_000, "price_yearly": 650_000},
    )
    adfree, _ = Plan.objects.get_or_create(
        code="adfree",
        defaults={"name": "Bebas iklan", "price_monthly": 25_000, "price_yearly": 250_000},
    )
    sections = [
        Section.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"Rubrik {n}"})[0].pk
        for n in range(10)
    ]
    authors = [
        Author.objects.get_or_create(slug=f"bench-{n}", defaults={"name": f"Penulis {n}"})[0].pk
        for n in range(40)
    ]
    sql(
        """
        INSERT INTO articles_article (headline, slug, dek, lead_photo_caption, dateline_city,
            body, source_attribution, access_level, status, published_at, first_published_at,
            seo_title, seo_description, canonical_url, is_editors_pick, created_at, updated_at,
            version, section_id)
        SELECT 'Berita bench ' || n, 'berita-bench-' || n, '', '', 'JAKARTA', '<p>x</p>', '',
            CASE WHEN mod(n, 3) = 0 THEN 'premium' ELSE 'metered' END, 'published',
            now() - n * interval '1 hour', now() - n * interval '1 hour', '', '', '', false,
            now(), now(), 1, (%s::bigint[])[1 + mod(n, 10)]
        FROM generate_series(1, %s) n
        """,
        [sections, ARTICLES],
    )
    first_article = scalar("SELECT min(id) FROM articles_article WHERE slug LIKE 'berita-bench-%'")
    sql(
        """
        INSERT INTO articles_article_authors (article_id, author_id)
        SELECT a.id, (%s::bigint[])[1 + mod((a.id + k), 40)]
        FROM articles_article a, generate_series(0, 1) k
        WHERE a.slug LIKE 'berita-bench-%%' AND (k = 0 OR mod(a.id, 4) = 0)
        """,
        [authors],
    )
    for n, anonymous in enumerate((5, 4, 3, 5, 3, 3)):
        ruleset_create(
            rules=PaywallRules(
                anonymous_allowance=anonymous, registered_allowance=10, teaser_blocks=2
            ),
            why=f"bench {n}",
            by=None,
            effective_from=now - timedelta(days=300 - 50 * n),
        )
    experiment = Experiment.objects.create(name="Bench: 3 lawan 5", status="stopped")
    for days, action in ((120, "created"), (119, "started"), (90, "stopped")):
        ExperimentLog.objects.create(
            experiment=experiment, action=action, at=now - timedelta(days=days)
        )
    done("content, plans, rules")

    step("readers and subscriptions")
    sql(
        """
        INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
            is_staff, is_active, date_joined)
        SELECT '!', false, 'bench_' || n, '', '', 'bench_' || n || '@example.com',
            false, true, now() - interval '400 days'
        FROM generate_series(1, %s) n
        """,
        [SUBSCRIBERS],
    )
    first_user = scalar("SELECT min(id) FROM auth_user WHERE username LIKE 'bench_%'")
    # n % 10: 0 trial (trialing if recent, else converted), 1 canceled (paid up),
    # 2-3 expired, else active. A fifth yearly. Created over the last 365 days.
    sql(
        """
        INSERT INTO subscriptions_subscription (status, billing_period, current_period_start,
            current_period_end, trial_end, cancel_at_period_end, canceled_at, provider,
            provider_customer_id, provider_subscription_id, created_at, updated_at, plan_id,
            user_id, trial_reminder_sent)
        SELECT
            CASE WHEN mod(n, 10) = 0 AND c + interval '14 days' > now() THEN 'trialing'
                 WHEN mod(n, 10) = 1 THEN 'canceled'
                 WHEN mod(n, 10) IN (2, 3) THEN 'expired'
                 ELSE 'active' END,
            CASE WHEN mod(n, 5) = 4 THEN 'year' ELSE 'month' END,
            c,
            CASE WHEN mod(n, 10) IN (2, 3) THEN c + (mod(n, 90) + 1) * interval '1 day'
                 ELSE now() + (mod(n, 30) + 1) * interval '1 day' END,
            CASE WHEN mod(n, 10) = 0 THEN c + interval '14 days' END,
            mod(n, 10) = 1,
            CASE WHEN mod(n, 10) = 1 THEN c + interval '3 days' END,
            'demo', '', '', c, c, CASE WHEN mod(n, 3) = 0 THEN %s ELSE %s END, %s + n - 1, false
        FROM (SELECT n,
                     now() - mod(n, 365) * interval '1 day' - mod(n, 1440) * interval '1 minute'
                     AS c
              FROM generate_series(1, %s) n) s
        """,
        [adfree.pk, premium.pk, first_user, SUBSCRIBERS],
    )
    # 5,000 of the expired come back: a second subscription after the first ended.
    sql(
        """
        INSERT INTO subscriptions_subscription (status, billing_period, current_period_start,
            current_period_end, cancel_at_period_end, provider, provider_customer_id,
            provider_subscription_id, created_at, updated_at, plan_id, user_id,
            trial_reminder_sent)
        SELECT 'active', 'month', s.current_period_end + interval '10 days',
            now() + interval '20 days', false, 'demo', '', '',
            s.current_period_end + interval '10 days', now(), s.plan_id, s.user_id, false
        FROM subscriptions_subscription s
        WHERE s.status = 'expired' AND s.current_period_end + interval '10 days' < now()
        ORDER BY s.id LIMIT 5000
        """
    )
    sql(
        """
        INSERT INTO subscriptions_payment (kind, status, amount, currency, description, provider,
            provider_payment_id, created_at, updated_at, subscription_id, user_id)
        SELECT 'charge', 'succeeded',
            CASE WHEN s.billing_period = 'year' THEN p.price_yearly ELSE p.price_monthly END,
            'IDR', 'bench', 'demo', 'bench_' || s.id, coalesce(s.trial_end, s.created_at),
            now(), s.id, s.user_id
        FROM subscriptions_subscription s JOIN subscriptions_plan p ON p.id = s.plan_id
        WHERE s.status <> 'trialing' AND s.provider_subscription_id = ''
        """
    )
    done("readers and subscriptions")

    step("1,000,000 funnel events")
    sql(
        """
        INSERT INTO analytics_funnelevent (event_id, kind, at, day, reader, reason,
            rules_version, arm, amount_idr, article_id, user_id)
        SELECT md5(n::text), k.kind, t, (t AT TIME ZONE %s)::date, 'm:' || (mod(n, 90000)),
            CASE WHEN k.kind = 'gate_impression'
                 THEN (ARRAY['metered', 'premium', 'registration_required'])[1 + mod(n, 3)]
                 ELSE '' END,
            '6.bench', '', CASE WHEN k.kind = 'subscription_created' THEN 65000 ELSE 0 END,
            %s + mod(n, %s), NULL
        FROM (SELECT n, now() - (mod(n, 525600)) * interval '1 minute' AS t
              FROM generate_series(1, %s) n) e
        CROSS JOIN LATERAL (SELECT CASE
            WHEN mod(n, 100) < 60 THEN 'gate_impression'
            WHEN mod(n, 100) < 75 THEN 'meter_exhausted'
            WHEN mod(n, 100) < 85 THEN 'subscribe_click'
            WHEN mod(n, 100) < 91 THEN 'registration'
            WHEN mod(n, 100) < 96 THEN 'checkout_started'
            WHEN mod(n, 100) < 99 THEN 'subscription_created'
            ELSE 'subscription_cancelled' END AS kind) k
        """,
        [settings.TIME_ZONE, first_article, ARTICLES, EVENTS],
    )
    done("1,000,000 funnel events")

    step("daily roll-up")
    sql(
        """
        INSERT INTO analytics_funneldaily (day, kind, reason, article_id, rules_version,
            experiment_id, arm, events, amount_idr)
        SELECT day, kind, reason, article_id, rules_version, experiment_id, arm,
            count(*), sum(amount_idr)
        FROM analytics_funnelevent
        GROUP BY day, kind, reason, article_id, rules_version, experiment_id, arm
        """
    )
    sql(
        """
        INSERT INTO analytics_funneldaytotal (day, kind, reason, events, amount_idr)
        SELECT day, kind, reason, sum(events), sum(amount_idr)
        FROM analytics_funneldaily GROUP BY day, kind, reason
        """
    )
    done("daily roll-up")

    step("attribution")
    sql(
        """
        INSERT INTO analytics_attribution (model, credited_idr, touched_at, touch_kind,
            created_at, subscribed_at, article_id, subscription_id)
        SELECT m.model, 65000, s.created_at, 'gate_impression', s.created_at, s.created_at,
            %s + mod((s.id * CASE WHEN m.model = 'first_touch' THEN 7 ELSE 13 END), %s), s.id
        FROM subscriptions_subscription s
        CROSS JOIN (VALUES ('first_touch'), ('last_touch')) m (model)
        """,
        [first_article, ARTICLES],
    )
    done("attribution")

    step("meters and reads")
    sql(
        """
        INSERT INTO subscriptions_meter (token, created_at, user_id)
        SELECT CASE WHEN n > 10000 THEN md5('meter' || n)::uuid END, now(),
            CASE WHEN n <= 10000 THEN %s + n - 1 END
        FROM generate_series(1, %s) n
        """,
        [first_user, METERS],
    )
    first_meter = scalar("SELECT min(id) FROM subscriptions_meter")
    # Reads per meter 1..6 on different articles: (meter, k) for k < 1 + meter % 6.
    sql(
        """
        INSERT INTO subscriptions_meterread (period, read_at, article_id, meter_id)
        SELECT date_trunc('month', t)::date, t, %s + mod((m * 31 + k * 17), %s), %s + m
        FROM (SELECT m, k, now() - (mod((m * 7 + k), 43200)) * interval '1 minute' AS t
              FROM generate_series(0, %s - 1) m, generate_series(0, 5) k
              WHERE k < 1 + mod(m, 6)) r
        LIMIT %s
        """,
        [first_article, ARTICLES, first_meter, METERS, READS],
    )
    done("meters and reads")

    step("analyze")
    sql("ANALYZE")
    done("analyze")
    return took


def counts() -> dict[str, int]:
    tables = {
        "subscribers": "SELECT count(DISTINCT user_id) FROM subscriptions_subscription",
        "subscriptions": "SELECT count(*) FROM subscriptions_subscription",
        "payments": "SELECT count(*) FROM subscriptions_payment",
        "funnel events": "SELECT count(*) FROM analytics_funnelevent",
        "funnel daily rows": "SELECT count(*) FROM analytics_funneldaily",
        "funnel day totals": "SELECT count(*) FROM analytics_funneldaytotal",
        "daily snapshots": "SELECT count(*) FROM revenue_dailysnapshot",
        "attributions": "SELECT count(*) FROM analytics_attribution",
        "meter reads": "SELECT count(*) FROM subscriptions_meterread",
    }
    return {name: scalar(query) for name, query in tables.items()}


def measure(runs: int) -> list[dict]:
    from django.contrib.auth.models import Group, User

    from core.roles import CHIEF_EDITOR

    chief, created = User.objects.get_or_create(username="bench_chief", defaults={"is_staff": True})
    if created:
        chief.groups.add(Group.objects.get(name=CHIEF_EDITOR))
    client = Client()
    client.force_login(chief)
    year_ago = (timezone.localdate() - timedelta(days=365)).isoformat()
    rows = []
    for name, url in PAGES:
        url = url.format(year_ago=year_ago)
        response = client.get(url)  # warm: templates, translations, plans
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append(1000 * (time.perf_counter() - start))
        slowest_sql = max(queries.captured_queries, key=lambda q: float(q["time"]))
        rows.append(
            {
                "page": name,
                "url": url,
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
                "queries": len(queries),
                "slowest_query_ms": round(1000 * float(slowest_sql["time"]), 1),
                "bytes": len(response.content),
            }
        )
        print(
            f"  {name}: median {rows[-1]['median_ms']} ms, max {rows[-1]['max_ms']} ms", flush=True
        )
    return rows


def report(rows, sizes, took, runs) -> str:
    worst = max(row["max_ms"] for row in rows)
    verdict = "PASS" if all(row["median_ms"] <= TARGET_MS for row in rows) else "FAIL"
    lines = [
        f"# Revenue desk at volume ({timezone.localtime():%Y-%m-%d %H:%M})",
        "",
        f"Target (issue 13): every desk page in {TARGET_MS:.0f} ms or less at 1,000,000 funnel "
        f"events and 50,000 subscribers. **{verdict}** (median of {runs} runs per page; "
        f"the slowest single run was {worst} ms).",
        "",
        f"PostgreSQL {connection.pg_version // 10000}, Django test client in one process "
        f"(server time: view, queries, template; no network), signed in as the chief editor. "
        f"`bench/revenue_desk.py`; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end of the run (when it is above the CPU count, "
        "every time here is inflated by waiting for a CPU).",
        "",
        "| data | rows |",
        "|---|---:|",
        *[f"| {name} | {n:,} |" for name, n in sizes.items()],
        "",
        "| page | median ms | max ms | queries | slowest query ms | KiB |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {r['page']} | {r['median_ms']} | {r['max_ms']} | {r['queries']} | "
            f"{r['slowest_query_ms']} | {r['bytes'] // 1024} |"
            for r in rows
        ],
        "",
    ]
    if took:
        lines += ["Time taken: " + ", ".join(f"{k} {v} s" for k, v in took.items()) + ".", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refill", action="store_true", help="flush and fill again")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: set DATABASE_URL to a database of your own.")
    call_command("migrate", verbosity=0)
    took = {}
    if args.refill:
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", verbosity=0)  # the roles' groups again
    if args.refill or scalar("SELECT count(*) FROM analytics_funnelevent") < EVENTS:
        print("Filling ...", flush=True)
        took = fill()
    # What beat does every REVENUE_SNAPSHOT_SECONDS (the recent days, cohorts and
    # the what-if histogram); a first run (or --refill) backfills the year.
    print("Snapshots ...", flush=True)
    start = time.perf_counter()
    if scalar("SELECT count(*) FROM revenue_dailysnapshot") < 300:
        call_command("rebuild_revenue_snapshots", days=366)
        took["snapshots: backfill of 366 days"] = round(time.perf_counter() - start, 1)
    else:
        snapshots.write(now=timezone.now())
        took["snapshots: one beat run"] = round(time.perf_counter() - start, 1)
    sizes = counts()
    print("Measuring ...", flush=True)
    rows = measure(args.runs)
    text = report(rows, sizes, took, args.runs)
    out = ROOT / "bench" / "results" / f"revenue-desk-{datetime.now():%Y%m%d-%H%M%S}.md"  # noqa: DTZ005
    out.write_text(text)
    print(text)
    print(f"Written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
