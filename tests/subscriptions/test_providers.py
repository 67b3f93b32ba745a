"""Billing providers declare what they can do; callers ask, never compare names."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from subscriptions import billing, tasks
from subscriptions.billing.base import PaymentProvider
from subscriptions.billing.demo import CompProvider, DemoProvider
from subscriptions.billing.stripe import StripeProvider
from subscriptions.models import Payment, Subscription
from subscriptions.services.common import SubscriptionError
from subscriptions.services.payments import payment_refund
from tests.factories import SubscriptionFactory, UserFactory

APP = Path(__file__).resolve().parents[2] / "subscriptions"
CAPABILITIES = [
    name
    for name, value in vars(PaymentProvider).items()
    if not name.startswith("_") and isinstance(value, bool)
]


class AcmeProvider(PaymentProvider):
    """A provider the code has never heard of, with a portal and our renewals."""

    name = "acme"
    supports_portal = True
    charges_renewals_here = True

    def portal_url(self, *, subscription, return_url: str) -> str | None:
        return "https://acme.example/portal"


@pytest.fixture
def acme(monkeypatch):
    real = billing.registry()
    monkeypatch.setattr(billing, "registry", lambda: {**real, "acme": AcmeProvider})
    return AcmeProvider


def test_each_provider_declares_its_capabilities():
    assert set(CAPABILITIES) == {
        "checkout_on_site",
        "supports_portal",
        "supports_refunds",
        "charges_renewals_here",
        "reports_by_webhook",
        "reader_managed",
    }
    table = {
        cls.name: {c for c in CAPABILITIES if getattr(cls, c)}
        for cls in (DemoProvider, StripeProvider, CompProvider)
    }
    assert table == {
        "demo": {"checkout_on_site", "supports_refunds", "charges_renewals_here", "reader_managed"},
        "stripe": {"supports_portal", "supports_refunds", "reports_by_webhook", "reader_managed"},
        "comp": set(),
    }


def test_providers_that_lists_names_and_refuses_unknown_capabilities(acme):
    assert billing.providers_that("charges_renewals_here") == ["acme", "demo"]
    assert billing.providers_that("supports_portal") == ["acme", "stripe"]
    with pytest.raises(AttributeError):
        billing.providers_that("name")


def _no_literal_provider_comparisons(text: str) -> list[str]:
    pattern = re.compile(
        r"""provider(_name)?\s*(==|!=|\bin\b)\s*[\(\[]?["']"""
        r"""|["'](demo|stripe|comp)["']\s*(==|!=)"""
    )
    return [line.strip() for line in text.splitlines() if pattern.search(line)]


def test_no_code_outside_billing_branches_on_a_provider_name():
    offenders = {}
    for path in list(APP.rglob("*.py")) + list(APP.rglob("*.html")):
        if "billing" in path.parts or "migrations" in path.parts:
            continue
        found = _no_literal_provider_comparisons(path.read_text())
        if found:
            offenders[str(path.relative_to(APP))] = found
    assert offenders == {}
    # The check itself catches what it is there for.
    assert _no_literal_provider_comparisons('if sub.provider == "stripe":')
    assert _no_literal_provider_comparisons('{% if sub.provider != "comp" %}')


@pytest.mark.django_db
def test_the_account_page_asks_the_provider_for_a_portal(client, plans, acme):
    sub = SubscriptionFactory(plan=plans["premium"], provider="acme")
    client.force_login(sub.user)
    html = client.get("/akun/").content.decode()
    assert "https://acme.example/portal" in html
    assert f"/akun/langganan/{sub.pk}/batal/" in html  # reader_managed by default


@pytest.mark.django_db
def test_a_gift_offers_the_reader_no_cancel_or_plan_change(client, plans):
    sub = SubscriptionFactory(plan=plans["premium"], provider="comp")
    client.force_login(sub.user)
    html = client.get("/akun/").content.decode()
    assert 'data-plan="premium"' in html
    assert f"/akun/langganan/{sub.pk}/batal/" not in html
    assert "ganti-paket" not in html


@pytest.mark.django_db
def test_renewals_are_charged_for_every_provider_that_says_so(plans, acme):
    due = timezone.now() - timedelta(minutes=1)
    ours = SubscriptionFactory(plan=plans["premium"], provider="acme", current_period_end=due)
    theirs = SubscriptionFactory(plan=plans["premium"], provider="stripe", current_period_end=due)
    assert tasks.renew_due() == 1
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.current_period_end > timezone.now()
    assert theirs.current_period_end == due


@pytest.mark.django_db
def test_a_provider_that_cannot_refund_is_refused_before_anything_moves(plans, acme):
    staff = UserFactory(username="subs", role="Subscription staff")
    charge = Payment.objects.create(
        user=UserFactory(),
        amount=1000,
        status="succeeded",
        provider="acme",
        provider_payment_id="a1",
    )
    with pytest.raises(SubscriptionError):
        payment_refund(payment_id=charge.pk, actor=staff, reason="Ganda", now=timezone.now())
    charge.refresh_from_db()
    assert charge.status == Payment.Status.SUCCEEDED
    assert not Payment.objects.filter(kind=Payment.Kind.REFUND).exists()


@pytest.mark.django_db
def test_the_demo_page_only_pays_checkouts_of_providers_that_take_payment_on_site(client, plans):
    from subscriptions.models import CheckoutSession

    user = UserFactory()
    session = CheckoutSession.objects.create(
        user=user, plan=plans["premium"], amount=65_000, provider="stripe"
    )
    client.force_login(user)
    assert (
        client.post(f"/langganan/demo-bayar/{session.pk}/", {"outcome": "pay"}).status_code == 404
    )
    assert not Subscription.objects.exists()
