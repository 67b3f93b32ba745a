"""Money moves once: one reader has at most one running subscription.

Running = trialing, active or past_due (``models.RUNNING_STATUSES``): it will
charge again. Every reader plan is one product line (premium includes
ad-free), so a second running subscription only charges the reader twice.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from subscriptions.billing.demo import DemoProvider
from subscriptions.billing.stripe import StripeProvider
from subscriptions.models import AuditEntry, CheckoutSession, Payment, Subscription
from subscriptions.services.checkout import checkout_complete, checkout_open
from subscriptions.services.common import AlreadySubscribed
from subscriptions.services.lifecycle import subscription_resume
from subscriptions.services.staff import staff_comp
from tests.conftest import requires_postgres
from tests.factories import SubscriptionFactory, UserFactory

from .test_webhooks import event, sign, sub_obj

S = Subscription.Status
C = CheckoutSession.Status
WEBHOOK = "/billing/webhooks/stripe/"


def running(user) -> list[Subscription]:
    return list(Subscription.objects.filter(user=user, status__in=Subscription.RUNNING))


def open_session(user, plan, *, period="month") -> CheckoutSession:
    """A checkout opened before the rule (or in a race the lock now prevents)."""
    amount = plan.price_yearly if period == "year" else plan.price_monthly
    return CheckoutSession.objects.create(
        user=user, plan=plan, billing_period=period, amount=amount, provider="demo"
    )


# --- The reader's pages -----------------------------------------------------------------


@pytest.mark.django_db
def test_starting_the_same_checkout_twice_and_paying_both_pages_subscribes_once(client, plans):
    user = UserFactory()
    client.force_login(user)
    first = client.post("/langganan/beli/adfree/", {"billing_period": "month"})["Location"]
    second = client.post("/langganan/beli/adfree/", {"billing_period": "month"})["Location"]
    assert second == first  # the open checkout is resumed, not a second one
    client.post(first, {"outcome": "pay"})
    client.post(second, {"outcome": "pay"})
    (sub,) = running(user)
    assert sub.status == S.TRIALING
    assert Subscription.objects.filter(user=user).count() == 1
    assert not Payment.objects.exists()  # a trial charges nothing
    assert CheckoutSession.objects.get().status == C.COMPLETED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.ACTIVE, S.TRIALING, S.PAST_DUE])
def test_checkout_while_subscribed_is_refused_with_a_message(client, plans, status):
    sub = SubscriptionFactory(
        plan=plans["adfree"], status=status, grace_until=timezone.now() + timedelta(days=3)
    )
    client.force_login(sub.user)
    response = client.post("/langganan/beli/premium/", {"billing_period": "month"}, follow=True)
    assert response.redirect_chain[-1][0] == "/akun/"
    assert "Anda sudah berlangganan; ganti paket Anda di sini." in response.content.decode()
    assert not CheckoutSession.objects.exists()


@pytest.mark.django_db
def test_a_canceled_but_paid_up_reader_may_subscribe_again(client, plans):
    sub = SubscriptionFactory(plan=plans["adfree"], status=S.CANCELED, cancel_at_period_end=True)
    client.force_login(sub.user)
    location = client.post("/langganan/beli/premium/", {"billing_period": "month"})["Location"]
    client.post(location, {"outcome": "pay"})
    assert [s.plan.code for s in running(sub.user)] == ["premium"]


@pytest.mark.django_db
def test_a_checkout_paid_while_another_runs_is_refunded_and_audited(client, plans):
    user = UserFactory()
    first, second = open_session(user, plans["adfree"]), open_session(user, plans["adfree"])
    client.force_login(user)
    client.post(f"/langganan/demo-bayar/{first.pk}/", {"outcome": "pay"})
    response = client.post(f"/langganan/demo-bayar/{second.pk}/", {"outcome": "pay"}, follow=True)
    assert "pembayaran ini dikembalikan" in response.content.decode()
    (sub,) = running(user)
    assert Subscription.objects.filter(user=user).count() == 1
    second.refresh_from_db()
    assert (second.status, second.subscription) == (C.DUPLICATE, sub)
    charge = Payment.objects.get(kind=Payment.Kind.CHARGE)
    refund = Payment.objects.get(kind=Payment.Kind.REFUND)
    assert (charge.amount, charge.status, charge.subscription) == (25_000, "refunded", sub)
    assert (refund.refund_of, refund.amount) == (charge, 25_000)
    entry = AuditEntry.objects.get(action="refund_duplicate")
    assert (entry.subscription, entry.source, entry.actor) == (sub, "system", None)
    assert str(second.pk) in entry.reason
    # Paying the same page again changes nothing more.
    client.post(f"/langganan/demo-bayar/{second.pk}/", {"outcome": "pay"})
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_choosing_another_plan_abandons_the_open_checkout(client, plans):
    user = UserFactory()
    client.force_login(user)
    adfree = client.post("/langganan/beli/adfree/", {"billing_period": "month"})["Location"]
    premium = client.post("/langganan/beli/premium/", {"billing_period": "year"})["Location"]
    assert premium != adfree
    assert sorted(CheckoutSession.objects.values_list("status", flat=True)) == [C.FAILED, C.OPEN]
    client.post(adfree, {"outcome": "pay"})  # the abandoned page can no longer pay
    assert not Subscription.objects.exists()
    client.post(premium, {"outcome": "pay"})
    assert [s.plan.code for s in running(user)] == ["premium"]


@pytest.mark.django_db
def test_a_past_due_subscription_past_its_grace_does_not_block_a_new_one(plans):
    now = timezone.now()
    lapsed = SubscriptionFactory(
        plan=plans["premium"],
        status=S.PAST_DUE,
        current_period_end=now - timedelta(days=9),
        grace_until=now - timedelta(days=2),
    )
    session = checkout_open(
        user=lapsed.user, plan=plans["adfree"], billing_period="month", provider="demo", now=now
    )
    lapsed.refresh_from_db()
    assert lapsed.status == S.EXPIRED
    checkout_complete(session_id=session.pk, now=now)
    assert [s.plan.code for s in running(lapsed.user)] == ["adfree"]


# --- Other ways in -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_a_second_running_subscription(plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    SubscriptionFactory(user=sub.user, plan=plans["adfree"], status=S.CANCELED)
    SubscriptionFactory(user=sub.user, plan=plans["adfree"], status=S.EXPIRED)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(user=sub.user, plan=plans["adfree"], status=S.TRIALING)


@pytest.mark.django_db
def test_staff_cannot_comp_a_reader_who_already_subscribes(plans):
    staff = UserFactory(username="subs", role="Subscription staff")
    sub = SubscriptionFactory(plan=plans["adfree"])
    with pytest.raises(AlreadySubscribed):
        staff_comp(
            user=sub.user,
            plan=plans["premium"],
            days=30,
            actor=staff,
            reason="Hadiah",
            now=timezone.now(),
        )
    assert len(running(sub.user)) == 1
    assert not AuditEntry.objects.filter(action="comp").exists()


@pytest.mark.django_db
def test_resume_is_refused_when_another_subscription_runs(client, plans, monkeypatch):
    told = []
    monkeypatch.setattr(DemoProvider, "resume", lambda self, subscription: told.append(1))
    old = SubscriptionFactory(plan=plans["premium"], status=S.CANCELED, cancel_at_period_end=True)
    SubscriptionFactory(user=old.user, plan=plans["adfree"])
    with pytest.raises(AlreadySubscribed):
        subscription_resume(subscription_id=old.pk, actor=old.user, now=timezone.now())
    client.force_login(old.user)
    response = client.post(f"/akun/langganan/{old.pk}/lanjutkan/", follow=True)
    assert response.status_code == 200
    old.refresh_from_db()
    assert old.status == S.CANCELED
    assert told == []  # the provider never heard of it


# --- Stripe ----------------------------------------------------------------------------


@pytest.fixture
def stripe_calls(settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret_for_the_suite"
    calls = []
    monkeypatch.setattr(
        StripeProvider,
        "cancel",
        lambda self, subscription, immediately: calls.append(
            ("cancel", subscription.provider_subscription_id, immediately)
        ),
    )
    monkeypatch.setattr(
        StripeProvider,
        "refund",
        lambda self, payment: calls.append(("refund", payment.provider_payment_id)) or "re_1",
    )
    from subscriptions.tasks import process_webhook_event

    monkeypatch.setattr(process_webhook_event, "delay", lambda pk: process_webhook_event(pk))
    return calls


def deliver(client, payload: bytes, *, capture):
    with capture(execute=True):
        response = client.post(
            WEBHOOK,
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload),
        )
    assert response.status_code == 200


@pytest.mark.django_db
def test_a_stripe_subscription_for_a_reader_who_already_subscribes_is_refused_and_refunded(
    client, plans, stripe_calls, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    current = SubscriptionFactory(plan=plans["adfree"])
    user = current.user
    session = CheckoutSession.objects.create(
        user=user, plan=plans["premium"], amount=65_000, provider="stripe"
    )
    completed = {
        "id": "cs_1",
        "subscription": "sub_123",
        "customer": "cus_1",
        "client_reference_id": str(session.pk),
        "metadata": {"user_id": str(user.pk), "plan_code": "premium"},
    }
    deliver(client, event("evt_c", "checkout.session.completed", completed), capture=capture)
    deliver(client, event("evt_s", "customer.subscription.created", sub_obj(user)), capture=capture)
    invoice = {"id": "in_1", "subscription": "sub_123", "amount_paid": 6_500_000}
    deliver(client, event("evt_i", "invoice.paid", invoice), capture=capture)
    deliver(client, event("evt_i2", "invoice.payment_succeeded", invoice), capture=capture)

    assert running(user) == [current]
    refused = Subscription.objects.get(provider_subscription_id="sub_123")
    assert (refused.status, refused.duplicate_of) == (S.EXPIRED, current)
    assert stripe_calls == [("cancel", "sub_123", True), ("refund", "in_1")]
    charge = Payment.objects.get(kind=Payment.Kind.CHARGE)
    assert (charge.status, charge.amount) == (Payment.Status.REFUNDED, 65_000)
    assert Payment.objects.get(kind=Payment.Kind.REFUND).provider_payment_id == "re_1"
    assert AuditEntry.objects.filter(subscription=refused, action="refuse_second").count() == 1
    assert AuditEntry.objects.filter(action="refund_duplicate").count() == 1
    session.refresh_from_db()
    assert (session.status, session.subscription) == (C.DUPLICATE, current)


@pytest.mark.django_db
def test_a_stripe_subscription_revived_while_another_runs_is_set_to_end(
    client, plans, stripe_calls, django_capture_on_commit_callbacks
):
    old = SubscriptionFactory(
        plan=plans["premium"],
        provider="stripe",
        provider_subscription_id="sub_123",
        status=S.CANCELED,
        cancel_at_period_end=True,
    )
    SubscriptionFactory(user=old.user, plan=plans["adfree"])
    payload = event(
        "evt_r", "customer.subscription.updated", sub_obj(old.user), created=time.time()
    )
    deliver(client, payload, capture=django_capture_on_commit_callbacks)
    old.refresh_from_db()
    assert old.status == S.CANCELED
    assert stripe_calls == [("cancel", "sub_123", False)]
    assert AuditEntry.objects.filter(subscription=old, action="refuse_second").exists()


# --- At the same moment (PostgreSQL: real row locks) -------------------------------------


def _at_once(n: int, work) -> list:
    barrier = threading.Barrier(n)
    results = []

    def run(i):
        try:
            barrier.wait()
            results.append(work(i))
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_checkouts_paid_at_the_same_moment_start_one_subscription(plans):
    user = UserFactory()
    Subscription.objects.create(  # the trial is used up: both would charge
        user=user,
        plan=plans["adfree"],
        status=S.EXPIRED,
        trial_end=timezone.now() - timedelta(days=60),
        current_period_end=timezone.now() - timedelta(days=50),
    )
    sessions = [open_session(user, plans["adfree"]) for _ in range(2)]
    results = _at_once(
        2, lambda i: checkout_complete(session_id=sessions[i].pk, now=timezone.now()).status
    )
    assert sorted(results) == [C.COMPLETED, C.DUPLICATE]
    assert len(running(user)) == 1
    assert Payment.objects.filter(kind=Payment.Kind.CHARGE).count() == 2
    assert Payment.objects.filter(kind=Payment.Kind.REFUND).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_checkout_starts_at_the_same_moment_open_one(plans):
    user = UserFactory()
    results = _at_once(
        4,
        lambda i: (
            checkout_open(
                user=user,
                plan=plans["premium"],
                billing_period="month",
                provider="demo",
                now=timezone.now(),
            ).pk
        ),
    )
    assert len(set(results)) == 1
    assert CheckoutSession.objects.count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_stripe_subscriptions_created_at_the_same_moment_run_one(plans, stripe_calls):
    from subscriptions.services.provider_sync import subscription_apply_provider_snapshot

    user = UserFactory()
    provider = StripeProvider()

    def create(i):
        obj = {**sub_obj(user), "id": f"sub_{i}"}
        return subscription_apply_provider_snapshot(
            provider="stripe",
            snapshot=provider._snapshot(obj),
            event_time=timezone.now(),
            now=timezone.now(),
        )

    assert _at_once(2, create) == ["processed", "processed"]
    assert len(running(user)) == 1
    assert Subscription.objects.filter(user=user, duplicate_of__isnull=False).count() == 1
    assert [c[0] for c in stripe_calls] == ["cancel"]


@pytest.mark.django_db
def test_a_page_client_for_each_tab_still_resumes_one_checkout(plans):
    user = UserFactory()
    tabs = [Client(), Client()]
    for tab in tabs:
        tab.force_login(user)
    locations = {
        tab.post("/langganan/beli/premium/", {"billing_period": "month"})["Location"]
        for tab in tabs
    }
    assert len(locations) == 1


# --- Readers who already had two ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_settles_readers_with_several_running_subscriptions():
    """Before the constraint, a reader with two running subscriptions keeps the one that
    gives the most; the other is canceled at its period end (access kept, no renewal),
    marked, and audited for staff."""
    from django.db.migrations.executor import MigrationExecutor

    before = [("subscriptions", "0003_moved_out")]
    after = [("subscriptions", "0005_subscription_one_running_per_reader")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        Plan = old.get_model("subscriptions", "Plan")
        Sub = old.get_model("subscriptions", "Subscription")
        User = old.get_model("auth", "User")
        reader, other = User.objects.create(username="dua"), User.objects.create(username="satu")
        adfree = Plan.objects.create(code="adfree", name="Bebas Iklan", price_monthly=25_000)
        premium = Plan.objects.create(code="premium", name="Premium", price_monthly=65_000)
        end = timezone.now() + timedelta(days=20)
        cheap = Sub.objects.create(
            user=reader, plan=adfree, status="active", current_period_end=end
        )
        best = Sub.objects.create(
            user=reader, plan=premium, status="trialing", current_period_end=end
        )
        alone = Sub.objects.create(user=other, plan=adfree, status="active", current_period_end=end)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    cheap, best, alone = (Subscription.objects.get(pk=s.pk) for s in (cheap, best, alone))
    assert (best.status, alone.status) == (S.TRIALING, S.ACTIVE)
    assert (cheap.status, cheap.cancel_at_period_end, cheap.duplicate_of) == (
        S.CANCELED,
        True,
        best,
    )
    assert cheap.current_period_end == end  # paid-for access kept
    entry = AuditEntry.objects.get(subscription=cheap)
    assert (entry.action, entry.source) == ("cancel_duplicate", "system")
