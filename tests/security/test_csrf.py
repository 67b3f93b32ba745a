"""CSRF: every POST endpoint a reader or staff member can reach refuses a request without a token.

Endpoints come from the URL resolver at run time, so views added later are
checked too. The browser of an attacked reader sends the reader's cookies
(session and CSRF cookie) but the attacker cannot know the token: that is the
request made here.
"""

import pytest
from django.apps import apps
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from subscriptions.models import Subscription, WebhookEvent

from .url_discovery import endpoints

pytestmark = pytest.mark.django_db

# The only views allowed to skip Django's CSRF check, and what protects them instead.
CSRF_EXEMPT_BY_DESIGN = {
    "subscriptions:webhook": "called by payment providers, not browsers; the body's "
    "signature is verified per provider",
}
MUST_BE_CHECKED = {
    "login",
    "logout",
    "signup",
    "password_reset",
    "password_reset_confirm",
    "subscriptions:account",
    "subscriptions:cancel",
    "subscriptions:resume",
    "subscriptions:change_plan",
    "subscriptions:checkout",
    "subscriptions:demo_checkout",
    "admin:login",
    "admin:logout",
    "admin:subscriptions_subscription_changelist",
}
FORM_DATA = {
    "plan": "premium",
    "billing_period": "month",
    "outcome": "pay",
    "reason": "csrf probe",
    "username": "csrf-probe",
    "email": "csrf-probe@example.com",
    "password": "newsroom-test",
}


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture
def identities(reader, superuser, plans):
    return {"anonymous": None, "reader": reader, "staff": superuser}


@pytest.mark.parametrize("who", ["anonymous", "reader", "staff"])
def test_every_post_endpoint_refuses_a_request_without_a_csrf_token(who, identities, reader):
    history = reader.history
    values = {
        "pk": str(history["subscription"].pk),
        "session_id": str(history["checkout"].pk),
        "code": "premium",
        "provider": "stripe",
        "object_id": str(history["subscription"].pk),
        "id": str(reader.pk),
    }
    client = Client(enforce_csrf_checks=True)
    if identities[who] is not None:
        client.force_login(identities[who])
    client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    before = _row_counts()
    sub_before = Subscription.objects.values().get(pk=history["subscription"].pk)

    checked, problems = set(), []
    for endpoint in endpoints(values):
        if endpoint.csrf_exempt:
            if endpoint.name in CSRF_EXEMPT_BY_DESIGN:
                continue
            if not endpoint.is_api:
                problems.append(
                    f"{endpoint.path} ({endpoint.name}) is csrf_exempt without a reason"
                )
                continue
            # django-ninja checks CSRF itself for cookie-authenticated operations;
            # token-authenticated ones carry no ambient credential to forge.
            allowed = {401, 403, 405} | ({404} if endpoint.params else set())
            for method in ("post", "put", "patch", "delete"):
                status = getattr(client, method)(endpoint.path, data={}).status_code
                if status not in allowed:
                    problems.append(f"{method.upper()} {endpoint.path} answered {status}")
            continue
        response = client.post(endpoint.path, FORM_DATA)
        if response.status_code != 403:
            problems.append(
                f"POST {endpoint.path} ({endpoint.name}) answered {response.status_code}, not 403"
            )
        checked.add(endpoint.name)

    assert problems == []
    assert MUST_BE_CHECKED <= checked, MUST_BE_CHECKED - checked
    assert _row_counts() == before
    assert Subscription.objects.values().get(pk=history["subscription"].pk) == sub_before


def test_the_webhook_is_csrf_exempt_and_verified_by_signature_instead(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_csrf_probe"
    found = {e.name: e for e in endpoints({"provider": "stripe"})}
    assert found["subscriptions:webhook"].csrf_exempt
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/billing/webhooks/stripe/",
        data=b'{"id": "evt_forged", "type": "checkout.session.completed"}',
        content_type="application/json",
    )
    assert response.status_code == 400  # past CSRF, stopped by the signature check
    assert not WebhookEvent.objects.exists()


def test_a_request_with_the_token_gets_through(reader):
    """The check above fails for the right reason: the same POST with a token is accepted."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    sub = reader.history["subscription"]
    response = client.post(f"/akun/langganan/{sub.pk}/batal/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.cancel_at_period_end is True
