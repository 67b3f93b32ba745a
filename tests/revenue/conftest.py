"""A small business whose every desk figure is computed by hand in the tests.

"Now" is 2026-06-15 12:00 in Jakarta. Two plans: Premium (65,000 a month,
650,000 a year) and Ad-free (25,000 a month, 250,000 a year). Readers and
their subscriptions (all times Jakarta, 10:00 unless said):

    A   Premium monthly, since Mar 1, active.                 (+ a refused duplicate)
    B   Premium yearly, since Apr 10, active.
    C   Ad-free monthly, since Jun 10, trialing until Jun 17.
    D   Premium monthly, May 1 .. expired Jun 5;  D2: Ad-free monthly since Jun 12.
    E   Ad-free monthly, complimentary (provider "comp") Jun 1 .. Jul 1.
    F   Premium monthly, since May 20, trial until May 27, paid May 27, active.
    G   Premium monthly, Jun 1, trial until Jun 8, never paid, expired Jun 8.
    I   Premium monthly, since Jun 3, canceled, paid up until Jul 3.
    J   Ad-free monthly Feb 1 .. expired Jun 10; J2: Premium monthly since Jun 9
        (a switch: J2 was running when J1 ended).

Payments: A 65,000 Jun 1; F 65,000 May 27; G failed 65,000 Jun 8;
I 65,000 Jun 3 (refunded Jun 14: a refund of 65,000); J2 65,000 Jun 9;
D2 25,000 Jun 12.
"""

from dataclasses import dataclass
from datetime import datetime

import pytest
from django.utils import timezone

from subscriptions.models import Payment, Plan, Subscription
from tests.factories import UserFactory

S = Subscription.Status


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour))  # noqa: DTZ001


NOW = at(6, 15, 12)


@dataclass
class Business:
    subs: dict[str, Subscription]
    premium: Plan
    adfree: Plan


def _sub(user, plan, *, created, end, status=S.ACTIVE, period="month", **extra):
    return Subscription.objects.create(
        user=user,
        plan=plan,
        billing_period=period,
        status=status,
        created_at=created,
        current_period_start=created,
        current_period_end=end,
        **extra,
    )


def _pay(sub, amount, when, *, status=Payment.Status.SUCCEEDED, kind=Payment.Kind.CHARGE):
    return Payment.objects.create(
        user=sub.user,
        subscription=sub,
        amount=amount,
        status=status,
        kind=kind,
        provider_payment_id=f"p{Payment.objects.count()}",
        created_at=when,
    )


@pytest.fixture
def business(db) -> Business:
    premium = Plan.objects.create(
        code="premium", name="Premium", price_monthly=65_000, price_yearly=650_000, position=2
    )
    adfree = Plan.objects.create(
        code="adfree", name="Ad-free", price_monthly=25_000, price_yearly=250_000, position=1
    )
    u = {name: UserFactory(username=f"reader_{name.lower()}") for name in "ABCDEFGIJ"}
    subs = {}
    subs["A"] = _sub(u["A"], premium, created=at(3, 1), end=at(7, 1))
    subs["A-dup"] = _sub(
        u["A"],
        premium,
        created=at(6, 2),
        end=at(6, 2),
        status=S.EXPIRED,
        duplicate_of=subs["A"],
    )
    subs["B"] = _sub(u["B"], premium, created=at(4, 10), end=at(4, 10, year=2027), period="year")
    subs["C"] = _sub(
        u["C"], adfree, created=at(6, 10), end=at(6, 17), status=S.TRIALING, trial_end=at(6, 17)
    )
    subs["D"] = _sub(u["D"], premium, created=at(5, 1), end=at(6, 5), status=S.EXPIRED)
    subs["D2"] = _sub(u["D"], adfree, created=at(6, 12), end=at(7, 12))
    subs["E"] = _sub(
        u["E"], adfree, created=at(6, 1), end=at(7, 1), provider="comp", cancel_at_period_end=True
    )
    subs["F"] = _sub(u["F"], premium, created=at(5, 20), end=at(6, 26), trial_end=at(5, 27))
    subs["G"] = _sub(
        u["G"], premium, created=at(6, 1), end=at(6, 8), status=S.EXPIRED, trial_end=at(6, 8)
    )
    subs["I"] = _sub(
        u["I"],
        premium,
        created=at(6, 3),
        end=at(7, 3),
        status=S.CANCELED,
        cancel_at_period_end=True,
        canceled_at=at(6, 4),
    )
    subs["J"] = _sub(u["J"], adfree, created=at(2, 1), end=at(6, 10), status=S.EXPIRED)
    subs["J2"] = _sub(u["J"], premium, created=at(6, 9), end=at(7, 9))

    _pay(subs["A"], 65_000, at(6, 1))
    _pay(subs["F"], 65_000, at(5, 27))
    _pay(subs["G"], 65_000, at(6, 8), status=Payment.Status.FAILED)
    refunded = _pay(subs["I"], 65_000, at(6, 3), status=Payment.Status.REFUNDED)
    refund = _pay(subs["I"], 65_000, at(6, 14), kind=Payment.Kind.REFUND)
    refund.refund_of = refunded
    refund.save()
    _pay(subs["J2"], 65_000, at(6, 9))
    _pay(subs["D2"], 25_000, at(6, 12))
    return Business(subs=subs, premium=premium, adfree=adfree)
