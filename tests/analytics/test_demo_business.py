"""The demo business: the rows the services write, the same on every run, seeded once."""

import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Count, Sum

from analytics.demo_business import USERNAME_PREFIX, Scale, seed_business
from analytics.models import Attribution, FunnelDaily, FunnelEvent
from articles import demo
from paywall.experiments import load_running
from paywall.funnel import Event
from paywall.models import Experiment, ExperimentLog, Exposure, Meter, MeterRead, RuleSet
from paywall.rights import ReaderRights
from paywall.rules import current_rules
from paywall.rulesets import rules_what_if
from subscriptions.demo import seed_accounts, seed_plans
from subscriptions.models import AuditEntry, CheckoutSession, Payment, Subscription

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 17, 9, 30, tzinfo=UTC)
User = get_user_model()


@pytest.fixture
def newsroom(monkeypatch):
    """Plans, the demo accounts and 60 articles (few photos: drawing them is not tested here)."""
    monkeypatch.setattr(demo, "PHOTO_COUNT", 3)
    plans = seed_plans()
    demo.seed_content(articles=60)
    seed_accounts(plans)
    return {"plans": plans, "staff": User.objects.get(username="subs")}


def wipe_business() -> None:
    FunnelEvent.objects.all().delete()
    FunnelDaily.objects.all().delete()
    Experiment.objects.all().delete()  # its arms protect their rules versions
    Payment.objects.filter(refund_of__isnull=False).delete()  # refunds protect their charge
    User.objects.filter(username__startswith=USERNAME_PREFIX).delete()
    Meter.objects.filter(user__isnull=True).delete()
    RuleSet.objects.all().delete()
    reset_ids()


def reset_ids() -> None:
    """Readers are bucketed by the experiment's id and their account's: every run
    gets the ids a fresh database would (the tables' next id, past what is left).

    Called before the first run too: on PostgreSQL a sequence is not rolled back
    with an earlier test's transaction, so the first run would otherwise get
    higher ids than the next one (and other arms)."""
    models = [Experiment, User]
    sql = connection.ops.sequence_reset_sql(no_style(), models) or (
        connection.ops.sequence_reset_by_name_sql(
            no_style(), [{"table": m._meta.db_table, "column": "id"} for m in models]
        )
    )
    with connection.cursor() as cursor:
        for statement in sql:
            cursor.execute(statement)


def subscription_rows() -> list:
    """Every subscription, payment, checkout and audit row of the business, keyed by
    what does not depend on primary keys (the second run gets new ones)."""
    mine = {"user__username__startswith": USERNAME_PREFIX}
    subs = {
        s.pk: f"{s.user.username}@{s.created_at:%Y%m%d%H%M%S%f}"
        for s in Subscription.objects.filter(**mine).select_related("user")
    }
    pays = {}
    for p in Payment.objects.filter(**mine, kind="charge"):
        pays[p.pk] = re.sub(
            r"^(renewal|upgrade)_(\d+)_",
            lambda m: f"{m[1]}_{subs[int(m[2])]}_",
            p.provider_payment_id,
        )
    rows = []
    for s in Subscription.objects.filter(**mine).select_related("user", "plan"):
        rows.append(("sub", subs[s.pk], s.plan.code, s.status, s.billing_period,
                     s.current_period_start, s.current_period_end, s.trial_end, s.grace_until,
                     s.cancel_at_period_end, s.canceled_at, s.provider, s.updated_at))  # fmt: skip
    for p in Payment.objects.filter(**mine).select_related("user"):
        ref = pays[p.refund_of_id] if p.refund_of_id else None
        provider_id = f"demo_refund_{ref}" if ref else pays[p.pk]
        rows.append(("pay", p.user.username, subs.get(p.subscription_id), p.kind, p.status,
                     p.amount, provider_id, p.description, p.created_at, p.updated_at))  # fmt: skip
    for c in CheckoutSession.objects.filter(**mine).select_related("user"):
        rows.append(("checkout", str(c.pk), c.user.username, c.plan_id, c.billing_period,
                     c.amount, c.provider_session_id, c.status, subs.get(c.subscription_id),
                     c.created_at, c.completed_at))  # fmt: skip
    for a in AuditEntry.objects.filter(**mine).select_related("user", "actor"):
        before, after = dict(a.before), dict(a.after)
        for side in (before, after):
            if "payment" in side:
                side["payment"] = pays[side["payment"]]
            if "refund" in side:
                side["refund"] = "refund"
        rows.append(("audit", a.user.username, subs.get(a.subscription_id),
                     a.actor.username if a.actor else None, a.source, a.action, a.reason,
                     before, after, a.created_at))  # fmt: skip
    return sorted(rows, key=repr)


def funnel_rows() -> list:
    events = FunnelEvent.objects.select_related("article", "user")
    return sorted(
        (e.event_id, e.kind, e.at, e.day, e.user.username if e.user else None,
         e.article.slug if e.article else None, e.reason, e.rules_version.split("~")[0], e.arm,
         e.amount_idr)
        for e in events
    )  # fmt: skip


def read_rows() -> list:
    reads = MeterRead.objects.select_related("meter__user", "article")
    return sorted(
        (
            r.meter.user.username if r.meter.user else str(r.meter.token),
            r.article.slug,
            r.period,
            r.read_at,
        )
        for r in reads
    )


def business_snapshot() -> tuple:
    counts = [m.objects.count() for m in (FunnelDaily, Attribution, Meter, RuleSet, Exposure)]
    return subscription_rows(), read_rows(), funnel_rows(), counts


def test_the_bulk_writer_writes_exactly_what_the_subscription_services_write(newsroom):
    tiny = {"scale": Scale(readers=150, visitors=0), "now": NOW, "seed": 13}  # every path
    reset_ids()
    seed_business(**newsroom, **tiny, through_services=True)
    through_services = subscription_rows()
    wipe_business()
    seed_business(**newsroom, **tiny)
    assert subscription_rows() == through_services
    # Every kind of change went through both writers.
    actions = {row[5] for row in through_services if row[0] == "audit"}
    assert actions == {"start", "renew", "past_due", "cancel_at_period_end", "resume",
                       "upgrade", "expire", "refund"}  # fmt: skip


def test_the_same_seed_gives_the_same_business_and_another_seed_another(newsroom):
    small = {"scale": "small", "now": NOW}
    reset_ids()
    seed_business(**newsroom, **small)
    first = (subscription_rows(), read_rows(), funnel_rows())
    wipe_business()
    seed_business(**newsroom, **small)
    assert (subscription_rows(), read_rows(), funnel_rows()) == first
    wipe_business()
    seed_business(**newsroom, **small, seed=13)
    assert subscription_rows() != first[0]


def test_seeding_again_changes_nothing(newsroom):
    assert not seed_business(**newsroom, scale="small", now=NOW).get("skipped")
    before = business_snapshot()
    call_command("seed_demo", articles=60, business="small", verbosity=0)
    assert seed_business(**newsroom, scale="small").get("skipped")
    assert business_snapshot() == before


def test_a_small_business_has_the_shape_of_a_real_one(newsroom):
    made = seed_business(**newsroom, scale="small", now=NOW)
    assert made["readers"] == User.objects.filter(username__startswith=USERNAME_PREFIX).count()
    subs = Subscription.objects.filter(user__username__startswith=USERNAME_PREFIX)
    statuses = Counter(subs.values_list("status", flat=True))
    assert set(statuses) == set(Subscription.Status.values), statuses  # every state
    assert 120 <= subs.count() <= 250  # of 500 readers
    assert statuses["active"] > statuses["expired"] > statuses["past_due"]
    # Trials, renewals, failed payments, churn and reactivation all happened.
    assert subs.filter(trial_end__isnull=False).count() >= 20
    payments = Counter(Payment.objects.values_list("kind", "status"))
    assert payments[("charge", "succeeded")] > 5 * payments[("charge", "failed")] > 0
    assert payments[("refund", "succeeded")] == payments[("charge", "refunded")] > 0
    again = subs.values("user").annotate(n=Count("id")).filter(n__gt=1)
    assert again.exists()  # lapsed readers who came back
    # Money adds up: each paid charge is a plan price, or a prorated upgrade.
    prices = {p.price_monthly for p in newsroom["plans"].values()} | {
        p.price_yearly for p in newsroom["plans"].values()
    }
    for payment in Payment.objects.filter(kind="charge").exclude(description__startswith="Upgrade"):
        assert payment.amount in prices
    # Twelve months of it.
    first = subs.order_by("created_at").first().created_at
    assert (NOW - first).days > 300
    history = AuditEntry.objects.filter(user__username__startswith=USERNAME_PREFIX)
    assert all(when <= NOW for when in history.values_list("created_at", flat=True))


def test_the_months_reads_respect_the_meter_and_feed_the_what_if(newsroom):
    seed_business(**newsroom, scale="small", now=NOW)
    rules = current_rules(now=NOW)
    assert (rules.anonymous_allowance, rules.registered_allowance) == (3, 10)
    # No meter holds more reads in a period than its allowance: the rules in force,
    # or its arm's in the running experiment (the launch meter, 5 and 12).
    running = load_running()
    per_period = MeterRead.objects.values("meter_id", "period", "meter__user", "meter__token")
    for row in per_period.annotate(n=Count("id")).order_by("-n"):
        if row["meter__user"]:
            rights = ReaderRights(authenticated=True, user_id=row["meter__user"])
        else:
            rights = ReaderRights(meter_key=row["meter__token"].hex)
        arm = running.arm_for(rights).rules
        signed_in = rights.authenticated
        limit = max(
            rules.allowance_for(authenticated=signed_in), arm.allowance_for(authenticated=signed_in)
        )
        assert row["n"] <= limit, row
    assert MeterRead.objects.filter(meter__user__isnull=True).count() > 200
    assert MeterRead.objects.filter(meter__user__isnull=False).count() > 100
    what_if = rules_what_if(current=rules, proposed=rules, now=NOW)
    assert what_if.anonymous.readers > 100
    assert what_if.anonymous.at_current > 10
    assert what_if.registered.readers > 20


def test_the_funnel_experiments_and_credits_are_there_for_the_desk(newsroom):
    made = seed_business(**newsroom, scale="small", now=NOW)
    kinds = Counter(FunnelEvent.objects.values_list("kind", flat=True))
    assert set(kinds) == set(Event.values)
    assert kinds["gate_impression"] > kinds["subscribe_click"] > 0
    assert kinds["checkout_started"] > kinds["subscription_created"] == made["subscriptions"]
    # The daily counts are the roll-up's: they add up to the events, day by day.
    daily = FunnelDaily.objects.aggregate(n=Sum("events"))["n"]
    assert daily == FunnelEvent.objects.count() == made["events"]
    assert (NOW - FunnelEvent.objects.order_by("at").first().at).days >= 360
    # Every new subscription is credited, first and last touch, mostly to an article.
    assert Attribution.objects.count() == 2 * made["subscriptions"]
    assert Attribution.objects.filter(article__isnull=False).count() > made["subscriptions"]
    # Two finished experiments (one promoted, one stopped) and one running, each with
    # readers and events in both arms.
    status = dict(Experiment.objects.values_list("status", "pk"))
    assert set(status) == {"promoted", "stopped", "running"}
    for experiment in Experiment.objects.all():
        for arm in ("a", "b"):
            assert Exposure.objects.filter(experiment=experiment, arm=arm).exists()
            assert FunnelEvent.objects.filter(experiment_id=experiment.pk, arm=arm).exists()
    promoted = Experiment.objects.get(status="promoted")
    assert promoted.winner == "b"
    assert promoted.promoted_ruleset.effective_from == promoted.stopped_at
    assert ExperimentLog.objects.filter(experiment=promoted).count() == 3
