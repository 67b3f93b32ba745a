"""Webhook abuse the paywall tests do not cover: size, content type, method, shape.

(Signatures, replays, duplicates, unknown providers and out-of-order events
are in ``tests/subscriptions/test_webhooks.py``.) Every case is a 4xx with
nothing stored, never a 500.
"""

import hashlib
import hmac
import time

import pytest
from django.test import Client

from subscriptions.models import WebhookEvent

pytestmark = pytest.mark.django_db

SECRET = "whsec_abuse_suite"
URL = "/billing/webhooks/stripe/"


@pytest.fixture(autouse=True)
def stripe_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def _sign(payload: bytes) -> str:
    stamp = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def _post(payload: bytes, *, content_type="application/json", signed=True, url=URL):
    headers = {"HTTP_STRIPE_SIGNATURE": _sign(payload)} if signed else {}
    client = Client(raise_request_exception=False)
    return client.post(url, data=payload, content_type=content_type, **headers)


def test_an_oversized_body_is_refused_before_anything_is_parsed(settings):
    payload = (
        b'{"id": "evt_big", "type": "invoice.paid", "pad": "'
        + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
        + b'"}'
    )
    response = _post(payload, signed=False)
    assert 400 <= response.status_code < 500
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_a_wrong_content_type_without_a_valid_signature_is_400(content_type):
    response = _post(b"id=evt_1&type=invoice.paid", content_type=content_type, signed=False)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"[]",
        b"{}",
        b'{"id": "evt_no_type"}',
        b'{"type": "invoice.paid"}',
        b'"a string"',
        b"{" * 5000,
    ],
)
def test_signed_nonsense_is_400_and_stores_nothing(payload):
    """Even a correctly signed body that is not an event is refused cleanly."""
    response = _post(payload)
    assert response.status_code == 400, response.content[:200]
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_are_405(method):
    response = getattr(Client(), method)(URL)
    assert response.status_code == 405


@pytest.mark.parametrize("provider", ["paypal", "STRIPE", "stripe-test", "demo", "x" * 60])
def test_unknown_or_keyless_providers_are_4xx(provider):
    response = _post(b"{}", url=f"/billing/webhooks/{provider}/")
    assert 400 <= response.status_code < 500
    assert not WebhookEvent.objects.exists()
