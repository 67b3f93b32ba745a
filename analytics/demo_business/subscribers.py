"""Twelve months of subscriptions: who subscribes when, and what each period brings.

The decisions are drawn here from a seeded ``random.Random``; each change is
made by a ledger (``ledger.py``): through the subscription services, or their
bulk copy that the tests hold to the same rows.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from subscriptions.models import Plan, Subscription

from .people import Reader

S = Subscription.Status

# The odds that shape the business (per reader, per subscription or per period).
SUBSCRIBE = 0.30  # a registered reader subscribes at some point
ABANDONED_CHECKOUT = 0.35  # a subscriber's first checkout was left unpaid
BROWSER_CHECKOUT = 0.06  # a reader who never subscribes opened a checkout
PREMIUM = 0.62  # the plan chosen (else ad-free)
YEARLY = 0.15  # the billing period chosen (else monthly)
TRIAL_CANCEL = 0.24  # a trial cancelled before it ends
CHURN_MONTH = 0.05  # a paying monthly subscriber cancels during a period
CHURN_YEAR = 0.30  # a yearly one, during the year
RESUME = 0.2  # a cancellation undone before the period ends
REFUND = 0.12  # a cancelling reader gets the last charge back from staff
DECLINED = 0.08  # a renewal's payment fails (the card is declined)
RECOVERED = 0.6  # ... and goes through within the grace period
UPGRADE = 0.04  # an ad-free subscriber moves to premium during a period
REACTIVATE = 0.3  # a lapsed subscriber comes back


@dataclass
class Subscribed:
    """What the funnel and the reads need to know of one subscription."""

    reader: Reader
    subscription: Subscription  # its id once written
    plan_code: str
    started: datetime
    checkout_at: datetime
    amount: int  # paid at checkout (0 for a trial)
    price: int  # the plan's price for its billing period
    ended: datetime | None = None  # expired at (None: still running or paid up)
    cancelled: list[datetime] = field(default_factory=list)
    upgraded: datetime | None = None  # moved from ad-free to premium

    def entitlement_spans(self) -> list[tuple[datetime, datetime | None, str]]:
        """(from, until, plan code): what the reader's plan was over the subscription."""
        if self.upgraded is None:
            return [(self.started, self.ended, self.plan_code)]
        return [
            (self.started, self.upgraded, self.plan_code),
            (self.upgraded, self.ended, "premium"),
        ]


@dataclass
class Checkout:
    reader: Reader
    at: datetime
    plan_code: str
    amount: int
    subscription: Subscription | None = None  # None: never paid


@dataclass
class Book:
    """Everything the subscriptions part did, for the parts that follow."""

    subscriptions: list[Subscribed] = field(default_factory=list)
    checkouts: list[Checkout] = field(default_factory=list)


def _sweep_delay(rng: random.Random) -> timedelta:
    """How long after a period ends the renewal/expiry sweep gets to it."""
    return timedelta(minutes=rng.randint(1, 15))


REFUND_REASON = "Pembaca lupa mematikan perpanjangan otomatis; dana dikembalikan."


class Life:
    """One reader's subscriptions, from their first checkout to ``now``."""

    def __init__(self, *, rng, ledger, reader: Reader, user, plans: dict, staff, now, book):
        self.rng, self.ledger, self.reader, self.user = rng, ledger, reader, user
        self.plans, self.staff, self.now, self.book = plans, staff, now, book

    def _session_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def live(self, first_at: datetime) -> None:
        rng = self.rng
        at = first_at
        plan = self.plans["premium" if rng.random() < PREMIUM else "adfree"]
        if rng.random() < ABANDONED_CHECKOUT:
            before = at - timedelta(hours=rng.uniform(1, 24 * 5))
            if before > self.reader.joined:
                self.abandon(plan, before)
        while at < self.now:
            period = (
                Subscription.Period.YEAR if rng.random() < YEARLY else Subscription.Period.MONTH
            )
            ended = self.subscribe(plan, period, at)
            if ended is None or rng.random() >= REACTIVATE:
                return
            at = ended + timedelta(days=rng.uniform(10, 120))
            if rng.random() < 0.3:  # back on the other plan
                plan = self.plans["adfree" if plan.code == "premium" else "premium"]

    def abandon(self, plan: Plan, at: datetime) -> None:
        session = self.ledger.checkout(
            session_id=self._session_id(), user=self.user, plan=plan, period="month", at=at
        )
        self.ledger.fail(session, now=at + timedelta(minutes=self.rng.randint(2, 30)))
        self.book.checkouts.append(Checkout(self.reader, at, plan.code, session.amount))

    def subscribe(self, plan: Plan, period: str, at: datetime) -> datetime | None:
        """Pay a checkout at ``at`` and live the subscription; return when it expired."""
        rng = self.rng
        session = self.ledger.checkout(
            session_id=self._session_id(), user=self.user, plan=plan, period=period, at=at
        )
        paid_at = at + timedelta(minutes=rng.randint(1, 8))
        sub = self.ledger.complete(session, now=paid_at)
        self.book.checkouts.append(Checkout(self.reader, at, plan.code, session.amount, sub))
        record = Subscribed(
            reader=self.reader,
            subscription=sub,
            plan_code=plan.code,
            started=paid_at,
            checkout_at=at,
            amount=0 if sub.status == S.TRIALING else session.amount,
            price=session.amount,
        )
        self.book.subscriptions.append(record)
        record.ended = self.periods(sub, record)
        return record.ended

    def periods(self, sub: Subscription, record: "Subscribed") -> datetime | None:
        """Each billing period in turn until the subscription ends or ``now`` comes."""
        rng, now, user, ledger = self.rng, self.now, self.user, self.ledger
        while True:
            start, end = sub.current_period_start, sub.current_period_end
            trialing = sub.status == S.TRIALING
            if trialing:
                churn = TRIAL_CANCEL
            elif sub.billing_period == Subscription.Period.YEAR:
                churn = CHURN_YEAR
            else:
                churn = CHURN_MONTH
            if rng.random() < churn:
                at = start + (end - start) * rng.uniform(0.05, 0.95)
                if at >= now:
                    return None
                sub = ledger.cancel(sub, actor=user, now=at)
                record.cancelled.append(at)
                resumes = rng.random() < RESUME
                if not resumes and not trialing and rng.random() < REFUND:
                    refund_at = at + timedelta(hours=rng.uniform(2, 40))
                    if refund_at < now:
                        ledger.refund_last_charge(
                            sub, actor=self.staff, reason=REFUND_REASON, now=refund_at
                        )
                if resumes:
                    at = at + (end - at) * rng.uniform(0.1, 0.8)
                    if at >= now:
                        return None
                    sub = ledger.resume(sub, actor=user, now=at)
                else:
                    return self.expire(sub, end + _sweep_delay(rng))
            elif (
                sub.plan.code == "adfree"
                and sub.status == S.ACTIVE
                and sub.billing_period == Subscription.Period.MONTH
                and rng.random() < UPGRADE
            ):
                at = start + (end - start) * rng.uniform(0.1, 0.9)
                if at >= now:
                    return None
                sub = ledger.upgrade(sub, plan=self.plans["premium"], actor=user, now=at)
                record.upgraded = at
            due = end + _sweep_delay(rng)
            if due >= now:
                return None
            if rng.random() < DECLINED:
                sub = ledger.past_due(sub, now=due)
                if rng.random() < RECOVERED:
                    at = due + timedelta(hours=rng.uniform(20, 24 * 6.5))  # the card retries
                    if at >= now:
                        return None
                    sub = ledger.renew(sub, now=at)
                else:
                    return self.expire(sub, sub.grace_until + _sweep_delay(rng))
            else:
                sub = ledger.renew(sub, now=due)

    def expire(self, sub: Subscription, at: datetime) -> datetime | None:
        if at >= self.now:
            return None
        self.ledger.expire(sub, now=at)
        return at


def live_subscriptions(
    *,
    seed: int,
    ledger,
    readers: list[Reader],
    plans: dict,
    staff,
    now: datetime,
    timeline=None,
) -> Book:
    """Decide, for each reader in turn, whether and when they subscribe; live it.

    ``timeline`` (the rules history) may hold readers back: in a finished
    experiment, the losing arm's readers who would have subscribed during it
    put it off a while (how the demo's experiments come to have a winner).
    """
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk([r.user_id for r in readers])
    book = Book()
    for reader in readers:
        rng = random.Random(f"{seed}/subscriber/{reader.username}")
        user = users[reader.user_id]
        life = Life(
            rng=rng,
            ledger=ledger,
            reader=reader,
            user=user,
            plans=plans,
            staff=staff,
            now=now,
            book=book,
        )
        if rng.random() < SUBSCRIBE:
            first = reader.joined + timedelta(days=rng.expovariate(1 / 25))
            found = timeline.arm(first, f"u:{reader.user_id}") if timeline else None
            if found and rng.random() < found[0].holds_back.get(found[1].key, 0):
                first = found[0].end + timedelta(days=rng.uniform(5, 60))  # put off
            if first < now:
                life.live(first)
        elif rng.random() < BROWSER_CHECKOUT:
            at = reader.joined + timedelta(days=rng.expovariate(1 / 20))
            if at < now:
                life.abandon(plans["premium" if rng.random() < PREMIUM else "adfree"], at)
    ledger.finish()
    return book
