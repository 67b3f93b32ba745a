"""IDOR: a reader who sends another reader's ids gets 404 and changes nothing.

Besides the named cases, a sweep fills every id-shaped URL parameter of every
reader-facing and API endpoint (found at run time) with each of the victim's
ids and tries the methods a browser or an app could send.
"""

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from subscriptions.models import AuditEntry, CheckoutSession, Payment, Subscription

from .url_discovery import endpoints

pytestmark = pytest.mark.django_db


def _victim_state(user) -> dict:
    return {
        "subscriptions": [model_to_dict(s) for s in Subscription.objects.filter(user=user)],
        "checkouts": [model_to_dict(c) for c in CheckoutSession.objects.filter(user=user)],
        "payments": [model_to_dict(p) for p in Payment.objects.filter(user=user)],
        "audit": AuditEntry.objects.filter(user=user).count(),
    }


@pytest.fixture
def attacker(reader):
    client = Client()
    client.force_login(reader)
    return client


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("/akun/langganan/{pk}/batal/", {}),
        ("/akun/langganan/{pk}/lanjutkan/", {}),
        ("/akun/langganan/{pk}/ganti-paket/", {"plan": "premium"}),
    ],
)
def test_another_readers_subscription_cannot_be_changed(attacker, other_reader, route, data):
    victim_sub = other_reader.history["subscription"]
    before = _victim_state(other_reader)
    response = attacker.post(route.format(pk=victim_sub.pk), data)
    assert response.status_code == 404
    assert _victim_state(other_reader) == before


def test_another_readers_checkout_cannot_be_seen_or_paid(attacker, other_reader, reader):
    checkout = other_reader.history["checkout"]
    before = _victim_state(other_reader)
    mine = Subscription.objects.filter(user=reader).count()
    url = f"/langganan/demo-bayar/{checkout.pk}/"
    assert attacker.get(url).status_code == 404
    for outcome in ("pay", "fail"):
        assert attacker.post(url, {"outcome": outcome}).status_code == 404
    assert _victim_state(other_reader) == before
    assert Subscription.objects.filter(user=reader).count() == mine


def test_the_account_page_shows_only_the_readers_own_payments(attacker, other_reader):
    page = attacker.get("/akun/").content.decode()
    assert "Langganan pembaca" in page
    assert "Langganan tetangga" not in page
    assert other_reader.email not in page


class _EveryName(dict):
    """Parameter values for ``endpoints``: the same value for any parameter name."""

    def __init__(self, value: str):
        super().__init__()
        self.value = value

    def __contains__(self, name):
        return True

    def __getitem__(self, name):
        return self.value

    def values(self):
        return [self.value]


def test_no_endpoint_hands_out_or_changes_another_readers_rows(attacker, other_reader, site):
    history = other_reader.history
    victim_ids = {
        str(history["subscription"].pk),
        str(history["payment"].pk),
        str(history["checkout"].pk),
        str(other_reader.pk),
        *(
            str(pk)
            for pk in AuditEntry.objects.filter(user=other_reader).values_list("pk", flat=True)
        ),
    }
    private = [other_reader.email, "Langganan tetangga", str(history["checkout"].pk)]
    before = _victim_state(other_reader)
    problems, tried = [], 0
    for value in victim_ids:
        for endpoint in endpoints(_EveryName(value)):
            if endpoint.is_admin or not endpoint.params or "webhook" in endpoint.name:
                continue
            methods = (
                ("get", "post", "put", "patch", "delete") if endpoint.is_api else ("get", "post")
            )
            for method in methods:
                tried += 1
                kwargs = {"content_type": "application/json"} if endpoint.is_api else {}
                body = {"plan": "premium", "outcome": "pay", "billing_period": "month"}
                if method == "get":
                    response = attacker.get(endpoint.path)
                elif endpoint.is_api:
                    response = getattr(attacker, method)(endpoint.path, body, **kwargs)
                else:
                    response = attacker.post(endpoint.path, body)
                if response.status_code >= 500:
                    problems.append(f"{method.upper()} {endpoint.path}: {response.status_code}")
                # A page may echo its own URL (a form action); only data beyond that leaks.
                content = response.content.decode(errors="replace").replace(endpoint.path, "")
                leaked = [item for item in private if item in content]
                if leaked:
                    problems.append(f"{method.upper()} {endpoint.path} shows {leaked}")
    assert tried > 20
    assert problems == []
    assert _victim_state(other_reader) == before
