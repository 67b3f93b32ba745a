"""Lifecycle transitions through the service layer, each with its audit entry; the tasks."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions import tasks
from subscriptions.entitlements import entitlements_for
from subscriptions.models import AuditEntry, Payment, Subscription
from subscriptions.services.common import SubscriptionError
from subscriptions.services.lifecycle import (
    has_had_trial,
    subscription_cancel,
    subscription_change_plan,
    subscription_expire,
    subscription_mark_past_due,
    subscription_renew,
    subscription_resume,
    subscription_start,
)
from subscriptions.services.payments import payment_record, payment_refund
from subscriptions.services.staff import staff_cancel, staff_comp, staff_extend
from tests.factories import SubscriptionFactory, UserFactory

S = Subscription.Status
pytestmark = pytest.mark.django_db


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # drop the per-request entitlement cache


def last_audit(sub):
    return AuditEntry.objects.filter(subscription=sub).order_by("-pk").first()


def test_trial_then_paid_renewal_then_past_due_then_expired(plans):
    user = UserFactory()
    now = timezone.now()
    sub = subscription_start(user=user, plan=plans["premium"], now=now, actor=user)
    assert sub.status == S.TRIALING
    assert sub.trial_end == now + timedelta(days=14)
    assert last_audit(sub).action == "start"
    assert last_audit(sub).actor == user
    # A second subscription to the same plan gets no second trial.
    assert not has_had_trial(UserFactory(), plans["premium"])
    assert has_had_trial(user, plans["premium"])

    later = sub.current_period_end + timedelta(minutes=1)
    sub = subscription_renew(subscription_id=sub.pk, now=later)
    assert sub.status == S.ACTIVE
    assert Payment.objects.filter(subscription=sub).count() == 1
    entry = last_audit(sub)
    assert entry.action == "renew"
    assert entry.before["status"] == "trialing"
    assert entry.after["status"] == "active"
    # The same renewal again (a retried task) charges nothing more.
    subscription_renew(subscription_id=sub.pk, now=later, payment_id=None)
    assert Payment.objects.filter(subscription=sub).count() == 1

    failed_at = sub.current_period_end
    sub = subscription_mark_past_due(subscription_id=sub.pk, now=failed_at, payment_id="fail_1")
    assert sub.status == S.PAST_DUE
    assert sub.grace_until == failed_at + timedelta(days=7)
    assert "premium_content" in entitlements_for(fresh(user), now=failed_at + timedelta(days=6))
    assert last_audit(sub).action == "past_due"

    sub = subscription_expire(subscription_id=sub.pk, now=failed_at + timedelta(days=8))
    assert sub.status == S.EXPIRED
    assert entitlements_for(fresh(user), now=failed_at + timedelta(days=8)) == frozenset()
    assert last_audit(sub).before["status"] == "past_due"


def test_renewal_is_idempotent_per_period(plans):
    sub = SubscriptionFactory(plan=plans["premium"], current_period_end=timezone.now())
    now = timezone.now() + timedelta(minutes=1)
    first = subscription_renew(subscription_id=sub.pk, now=now, payment_id="inv_1")
    end = first.current_period_end
    again = subscription_renew(subscription_id=sub.pk, now=now, payment_id="inv_1")
    assert again.current_period_end == end
    assert Payment.objects.filter(subscription=sub).count() == 1


def test_cancel_at_period_end_keeps_access_then_resume(plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    user = sub.user
    now = timezone.now()
    sub = subscription_cancel(subscription_id=sub.pk, actor=user, now=now)
    assert sub.status == S.CANCELED
    assert sub.cancel_at_period_end
    assert "premium_content" in entitlements_for(fresh(user))
    assert last_audit(sub).action == "cancel_at_period_end"
    sub = subscription_resume(subscription_id=sub.pk, actor=user, now=now)
    assert sub.status == S.ACTIVE
    assert not sub.cancel_at_period_end
    entry = last_audit(sub)
    assert entry.action == "resume"
    assert entry.before["cancel_at_period_end"] is True


def test_canceled_subscription_expires_when_the_paid_period_ends(plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    subscription_cancel(subscription_id=sub.pk, actor=sub.user, now=timezone.now())
    Subscription.objects.filter(pk=sub.pk).update(
        current_period_end=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.expire_lapsed() == 1
    sub.refresh_from_db()
    assert sub.status == S.EXPIRED
    assert tasks.expire_lapsed() == 0  # safe to run twice


def test_resume_after_the_end_is_refused(plans):
    sub = SubscriptionFactory(
        plan=plans["premium"],
        status=S.CANCELED,
        cancel_at_period_end=True,
        current_period_end=timezone.now() - timedelta(days=1),
    )
    with pytest.raises(SubscriptionError):
        subscription_resume(subscription_id=sub.pk, actor=sub.user, now=timezone.now())


def test_upgrade_is_immediate_and_charges_the_prorated_difference(plans):
    sub = SubscriptionFactory(plan=plans["adfree"])
    now = timezone.now()
    sub = subscription_change_plan(
        subscription_id=sub.pk, plan=plans["premium"], actor=sub.user, now=now
    )
    assert sub.plan.code == "premium"
    assert sub.scheduled_plan is None
    charge = Payment.objects.get(subscription=sub)
    assert 0 < charge.amount < 65_000 - 25_000 + 1
    assert last_audit(sub).action == "upgrade"
    assert "premium_content" in entitlements_for(fresh(sub.user))


def test_downgrade_waits_for_the_period_end(plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    now = timezone.now()
    sub = subscription_change_plan(
        subscription_id=sub.pk, plan=plans["adfree"], actor=sub.user, now=now
    )
    assert sub.plan.code == "premium"
    assert sub.scheduled_plan.code == "adfree"
    assert "premium_content" in entitlements_for(fresh(sub.user))
    assert last_audit(sub).action == "downgrade_scheduled"
    sub = subscription_renew(subscription_id=sub.pk, now=sub.current_period_end)
    assert sub.plan.code == "adfree"
    assert sub.scheduled_plan is None


def test_staff_changes_need_a_reason_and_are_audited(plans):
    staff = UserFactory(username="subs", role="Subscription staff")
    reader = UserFactory()
    now = timezone.now()
    with pytest.raises(SubscriptionError):
        staff_comp(user=reader, plan=plans["premium"], days=30, actor=staff, reason=" ", now=now)
    assert not Subscription.objects.filter(user=reader).exists()
    comp = staff_comp(
        user=reader, plan=plans["premium"], days=30, actor=staff, reason="Juara kuis", now=now
    )
    entry = last_audit(comp)
    assert (entry.action, entry.actor, entry.source, entry.reason) == (
        "comp",
        staff,
        "staff",
        "Juara kuis",
    )
    sub = staff_extend(
        subscription_id=comp.pk, days=10, actor=staff, reason="Gangguan layanan", now=now
    )
    assert sub.current_period_end == now + timedelta(days=40)
    assert (
        last_audit(sub).before["current_period_end"] != last_audit(sub).after["current_period_end"]
    )
    with pytest.raises(SubscriptionError):
        staff_cancel(subscription_id=sub.pk, actor=staff, reason="", now=now)
    sub = staff_cancel(subscription_id=sub.pk, actor=staff, reason="Permintaan", now=now)
    assert sub.status == S.EXPIRED
    assert entitlements_for(fresh(reader)) == frozenset()


def test_refund_once_with_a_reason(plans):
    staff = UserFactory(username="subs", role="Subscription staff")
    sub = SubscriptionFactory(plan=plans["premium"])
    charge = payment_record(
        user=sub.user,
        subscription=sub,
        amount=65_000,
        provider="demo",
        provider_payment_id="demo_1",
        status="succeeded",
        now=timezone.now(),
    )
    with pytest.raises(SubscriptionError):
        payment_refund(payment_id=charge.pk, actor=staff, reason="", now=timezone.now())
    refund = payment_refund(
        payment_id=charge.pk, actor=staff, reason="Tagihan ganda", now=timezone.now()
    )
    again = payment_refund(
        payment_id=charge.pk, actor=staff, reason="Tagihan ganda", now=timezone.now()
    )
    assert refund.pk == again.pk
    assert refund.amount == 65_000
    charge.refresh_from_db()
    assert charge.status == Payment.Status.REFUNDED
    assert AuditEntry.objects.filter(action="refund", reason="Tagihan ganda").count() == 1


def test_renew_due_task_renews_demo_subscriptions_once(plans):
    due = SubscriptionFactory(plan=plans["premium"], current_period_end=timezone.now())
    SubscriptionFactory(
        plan=plans["premium"], cancel_at_period_end=True, current_period_end=timezone.now()
    )
    assert tasks.renew_due() == 1
    due.refresh_from_db()
    assert due.current_period_end > timezone.now() + timedelta(days=29)
    assert tasks.renew_due() == 0


def test_reminder_tasks_mail_once(plans):
    SubscriptionFactory(
        plan=plans["premium"], current_period_end=timezone.now() + timedelta(days=2)
    )
    SubscriptionFactory(
        plan=plans["premium"],
        status=S.TRIALING,
        trial_end=timezone.now() + timedelta(days=1),
    )
    assert tasks.send_renewal_reminders() == 1
    assert tasks.send_trial_ending_notices() == 1
    assert tasks.send_renewal_reminders() == 0
    assert tasks.send_trial_ending_notices() == 0
    assert len(mail.outbox) == 2


def test_retry_stuck_webhooks_requeues_old_unprocessed_events(monkeypatch):
    from subscriptions.models import WebhookEvent

    sent = []
    monkeypatch.setattr(tasks.process_webhook_event, "delay", lambda pk: sent.append(pk))
    old = WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_old",
        type="invoice.paid",
        created=timezone.now(),
        payload={},
        status="failed",
        received_at=timezone.now() - timedelta(minutes=10),
    )
    WebhookEvent.objects.create(
        provider="stripe",
        event_id="evt_new",
        type="invoice.paid",
        created=timezone.now(),
        payload={},
    )
    assert tasks.retry_stuck_webhooks() == 1
    assert sent == [old.pk]
