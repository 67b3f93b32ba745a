"""Stripe webhooks: signatures, exactly-once processing, out-of-order events, retries."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from subscriptions.billing.stripe import RetryLater
from subscriptions.models import AuditEntry, Payment, Subscription, WebhookEvent
from subscriptions.tasks import process_webhook_event
from tests.conftest import requires_postgres
from tests.factories import UserFactory

SECRET = "whsec_test_secret_for_the_suite"
URL = "/billing/webhooks/stripe/"
S = Subscription.Status


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_SECRET_KEY = ""


_ON_COMMIT = {}


@pytest.fixture
def queued(monkeypatch, django_capture_on_commit_callbacks):
    """Event ids the endpoint handed to Celery (the task itself is run directly)."""
    sent = []
    monkeypatch.setattr(process_webhook_event, "delay", lambda pk: sent.append(pk))
    _ON_COMMIT["capture"] = django_capture_on_commit_callbacks
    yield sent
    _ON_COMMIT.clear()


def sign(payload: bytes, *, secret=SECRET, timestamp=None) -> str:
    timestamp = int(timestamp if timestamp is not None else time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def event(event_id, kind, obj, *, created=None) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(created if created is not None else time.time()),
            "data": {"object": obj},
        }
    ).encode()


def post(client, payload: bytes, signature: str | None = None):
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    # Run the after-commit enqueue as a real commit would (tests wrap each in a transaction).
    with _ON_COMMIT["capture"](execute=True):
        return client.post(URL, data=payload, content_type="application/json", **headers)


def sub_obj(user, plan_code="premium", status="active", *, cancel=False, days=30):
    now = int(time.time())
    return {
        "id": "sub_123",
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "cancel_at_period_end": cancel,
        "current_period_start": now,
        "current_period_end": now + days * 86400,
        "metadata": {"user_id": str(user.pk), "plan_code": plan_code, "billing_period": "month"},
        "items": {"data": [{"price": {"recurring": {"interval": "month"}}}]},
    }


def process_all(ids):
    return [process_webhook_event(pk) for pk in ids]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "t=1,v1=deadbeef",
        "wrong-secret",
        "stale",
    ],
)
def test_bad_or_missing_signature_is_400_and_changes_nothing(client, plans, queued, signature):
    user = UserFactory()
    payload = event("evt_bad", "customer.subscription.created", sub_obj(user))
    if signature == "wrong-secret":
        signature = sign(payload, secret="whsec_other")
    elif signature == "stale":
        signature = sign(payload, timestamp=time.time() - 301)
    response = post(client, payload, signature)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert not Subscription.objects.exists()
    assert queued == []


@pytest.mark.django_db
def test_a_body_changed_after_signing_is_rejected(client, plans, queued):
    user = UserFactory()
    payload = event("evt_1", "customer.subscription.created", sub_obj(user))
    signature = sign(payload)
    tampered = payload.replace(b'"premium"', b'"adfree"')
    assert post(client, tampered, signature).status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_a_signed_event_is_stored_then_processed_in_the_task(client, plans, queued):
    user = UserFactory()
    payload = event("evt_1", "customer.subscription.created", sub_obj(user))
    response = post(client, payload, sign(payload))
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.RECEIVED
    assert not Subscription.objects.exists()  # nothing happens before the task runs
    assert process_all(queued) == ["processed"]
    sub = Subscription.objects.get()
    assert (sub.user, sub.plan.code, sub.status) == (user, "premium", S.ACTIVE)
    assert sub.provider == "stripe"
    assert sub.provider_customer_id == "cus_1"
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.PROCESSED
    assert stored.user == user
    assert AuditEntry.objects.filter(subscription=sub, source="provider", action="start").exists()


@pytest.mark.django_db
def test_a_redelivered_event_is_processed_once(client, plans, queued):
    user = UserFactory()
    create = event("evt_sub", "customer.subscription.created", sub_obj(user))
    post(client, create, sign(create))
    invoice = {"id": "in_1", "subscription": "sub_123", "amount_paid": 6_500_000}
    paid = event("evt_inv", "invoice.paid", invoice)
    first = post(client, paid, sign(paid))
    second = post(client, paid, sign(paid))
    assert (first.content, second.content) == (b"ok", b"duplicate")
    assert WebhookEvent.objects.count() == 2
    process_all(queued)
    process_all(queued)  # a task delivered twice changes nothing either
    payment = Payment.objects.get()
    assert (payment.amount, payment.status) == (65_000, Payment.Status.SUCCEEDED)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_duplicate_deliveries_store_and_process_one_event(plans, queued):
    user = UserFactory()
    payload = event("evt_race", "customer.subscription.created", sub_obj(user))
    signature = sign(payload)
    barrier = threading.Barrier(6)
    statuses = []

    def deliver():
        try:
            barrier.wait()
            statuses.append(post(Client(), payload, signature).content)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [b"duplicate"] * 5 + [b"ok"]
    assert WebhookEvent.objects.count() == 1
    # Two workers handed the same event at once still apply it once.
    workers = [
        threading.Thread(target=lambda: (process_all(queued), connection.close())) for _ in range(2)
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert Subscription.objects.count() == 1
    assert AuditEntry.objects.filter(action="start").count() == 1


@pytest.mark.django_db
def test_out_of_order_snapshots_end_in_the_newest_state(client, plans, queued):
    user = UserFactory()
    now = time.time()
    newer = event("evt_new", "customer.subscription.updated", sub_obj(user), created=now)
    older = event(
        "evt_old",
        "customer.subscription.updated",
        sub_obj(user, status="past_due"),
        created=now - 60,
    )
    post(client, newer, sign(newer))
    post(client, older, sign(older))
    assert process_all(queued) == ["processed", "ignored"]
    sub = Subscription.objects.get()
    assert sub.status == S.ACTIVE
    assert sub.grace_until is None


@pytest.mark.django_db
def test_checkout_completed_after_the_snapshot_does_not_undo_it(client, plans, queued):
    user = UserFactory()
    snapshot = event(
        "evt_s", "customer.subscription.updated", sub_obj(user, cancel=True), created=time.time()
    )
    completed = event(
        "evt_c",
        "checkout.session.completed",
        {
            "id": "cs_1",
            "subscription": "sub_123",
            "customer": "cus_1",
            "metadata": {"user_id": str(user.pk), "plan_code": "premium"},
        },
        created=time.time() - 30,
    )
    post(client, snapshot, sign(snapshot))
    post(client, completed, sign(completed))
    process_all(queued)
    sub = Subscription.objects.get()
    assert sub.status == S.CANCELED
    assert sub.cancel_at_period_end


@pytest.mark.django_db
def test_an_invoice_before_its_subscription_is_retried_until_it_fits(client, plans, queued):
    user = UserFactory()
    invoice = event(
        "evt_inv",
        "invoice.paid",
        {"id": "in_9", "subscription": "sub_123", "amount_paid": 6_500_000},
    )
    post(client, invoice, sign(invoice))
    with pytest.raises(RetryLater):
        process_webhook_event(queued[0])
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.FAILED
    assert stored.attempts == 1
    assert "not known yet" in stored.last_error
    create = event("evt_sub", "customer.subscription.created", sub_obj(user))
    post(client, create, sign(create))
    process_webhook_event(queued[1])
    assert process_webhook_event(queued[0]) == "processed"  # the retry
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


@pytest.mark.django_db
def test_a_late_payment_failed_does_not_undo_a_paid_invoice(client, plans, queued):
    user = UserFactory()
    create = event("evt_sub", "customer.subscription.created", sub_obj(user))
    inv = {"id": "in_2", "subscription": "sub_123", "amount_paid": 6_500_000}
    paid = event("evt_paid", "invoice.paid", inv)
    failed = event("evt_failed", "invoice.payment_failed", {**inv, "amount_paid": 0})
    for payload in (create, paid, failed):
        post(client, payload, sign(payload))
    process_all(queued)
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


@pytest.mark.django_db
def test_past_due_keeps_access_through_grace_then_deleted_expires(client, plans, queued):
    from subscriptions.entitlements import entitlements_for

    user = UserFactory()
    now = time.time()
    past_due = event(
        "evt_pd",
        "customer.subscription.updated",
        sub_obj(user, status="past_due", days=-1),
        created=now - 10,
    )
    post(client, past_due, sign(past_due))
    process_all(queued)
    sub = Subscription.objects.get()
    assert sub.status == S.PAST_DUE
    assert sub.grace_until > timezone.now() + timedelta(days=5)
    assert "premium_content" in entitlements_for(user)
    ended = event(
        "evt_del",
        "customer.subscription.deleted",
        sub_obj(user, status="canceled", days=-1),
        created=now,
    )
    post(client, ended, sign(ended))
    process_all(queued[1:])
    sub.refresh_from_db()
    assert sub.status == S.EXPIRED
    user = type(user).objects.get(pk=user.pk)
    assert "premium_content" not in entitlements_for(user)


@pytest.mark.django_db
def test_unknown_events_are_stored_and_ignored(client, plans, queued):
    payload = event("evt_x", "customer.created", {"id": "cus_1"})
    assert post(client, payload, sign(payload)).status_code == 200
    assert process_all(queued) == ["ignored"]


@pytest.mark.django_db
def test_unknown_provider_is_404_and_demo_refuses_webhooks(client, queued):
    assert client.post("/billing/webhooks/paypal/", data=b"{}", content_type="x").status_code == 404
    assert client.post("/billing/webhooks/demo/", data=b"{}", content_type="x").status_code == 400
    assert client.get(URL).status_code == 405


def _error_of(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.django_db
@pytest.mark.parametrize("setting", ["missing-secret", "missing-header", "bad-signature"])
def test_webhook_errors_are_json_and_name_no_setting(client, plans, queued, settings, setting):
    payload = event("evt_1", "customer.subscription.created", sub_obj(UserFactory()))
    signature = sign(payload)
    if setting == "missing-secret":
        settings.STRIPE_WEBHOOK_SECRET = ""
    elif setting == "missing-header":
        signature = None
    else:
        signature = sign(payload, secret="whsec_other")
    error = _error_of(post(client, payload, signature), 400)
    assert error["code"] == "bad_request"
    text = json.dumps(error).lower()
    for leak in ("stripe_", "secret", "setting", "configured", "header", "signature"):
        assert leak not in text
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_unknown_provider_and_wrong_method_are_json_too(client, queued):
    error = _error_of(client.post("/billing/webhooks/paypal/", data=b"{}", content_type="x"), 404)
    assert error["code"] == "not_found"
    assert "paypal" not in json.dumps(error)
    assert _error_of(client.post("/billing/webhooks/demo/", b"{}", content_type="x"), 400)
    response = client.get(URL)
    assert _error_of(response, 405)["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"
