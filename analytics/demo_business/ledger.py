"""Two ways to write a subscription's history, row for row the same.

``ServiceLedger`` calls the subscription services with the historical ``now``:
the rows are those the site writes, by definition, but each change costs a
dozen queries. ``BulkLedger`` applies the same rules in memory and writes the
rows in a few bulk inserts: fast enough for a year of thousands of readers.
``tests/analytics/test_demo_business.py`` lives one small business through
both and compares every row, so the bulk copy of the rules cannot drift from
the services unnoticed.

Only the checkout row is created here in both: with a seeded id, as
``checkout_open`` and the demo provider's ``start_checkout`` write it (theirs
is random).
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings

from subscriptions.models import AuditEntry, CheckoutSession, Payment, Plan, Subscription
from subscriptions.services.common import SubscriptionError, period_length, plan_price

S = Subscription.Status
C = CheckoutSession.Status


def new_checkout(*, session_id: uuid.UUID, user, plan: Plan, period: str, at) -> CheckoutSession:
    return CheckoutSession(
        id=session_id,
        user=user,
        plan=plan,
        billing_period=period,
        amount=plan_price(plan, period),
        provider="demo",
        provider_session_id=f"demo_{session_id}",
        created_at=at,
    )


def _require(ok: bool, message: str) -> None:
    """The services' refusals, for a history that would break them (a bug here)."""
    if not ok:
        raise SubscriptionError(message)


def declined_payment_id(sub: Subscription) -> str:
    """The failed renewal charge's id (the retry that succeeds gets the plain one)."""
    return f"renewal_{sub.pk}_{sub.current_period_end:%Y%m%d%H%M}_declined"


class ServiceLedger:
    """Each change through its service (see the module docstring)."""

    def checkout(self, *, session_id, user, plan, period, at) -> CheckoutSession:
        session = new_checkout(session_id=session_id, user=user, plan=plan, period=period, at=at)
        session.save(force_insert=True)
        return session

    def fail(self, session, *, now) -> None:
        from subscriptions.services.checkout import checkout_fail

        checkout_fail(session_id=session.pk, now=now)

    def complete(self, session, *, now) -> Subscription:
        from subscriptions.services.checkout import checkout_complete

        done = checkout_complete(session_id=session.pk, now=now)
        return Subscription.objects.select_related("plan").get(pk=done.subscription_id)

    def renew(self, sub, *, now) -> Subscription:
        from subscriptions.services.lifecycle import subscription_renew

        return subscription_renew(subscription_id=sub.pk, now=now)

    def past_due(self, sub, *, now) -> Subscription:
        from subscriptions.services.lifecycle import subscription_mark_past_due

        return subscription_mark_past_due(
            subscription_id=sub.pk, now=now, payment_id=declined_payment_id(sub)
        )

    def cancel(self, sub, *, actor, now) -> Subscription:
        from subscriptions.services.lifecycle import subscription_cancel

        return subscription_cancel(subscription_id=sub.pk, actor=actor, now=now)

    def resume(self, sub, *, actor, now) -> Subscription:
        from subscriptions.services.lifecycle import subscription_resume

        return subscription_resume(subscription_id=sub.pk, actor=actor, now=now)

    def upgrade(self, sub, *, plan, actor, now) -> Subscription:
        from subscriptions.services.lifecycle import subscription_change_plan

        return subscription_change_plan(subscription_id=sub.pk, plan=plan, actor=actor, now=now)

    def expire(self, sub, *, now) -> Subscription:
        from subscriptions.services.lifecycle import subscription_expire

        return subscription_expire(subscription_id=sub.pk, now=now)

    def refund_last_charge(self, sub, *, actor, reason, now) -> None:
        from subscriptions.services.payments import payment_refund

        charge = (
            Payment.objects.filter(
                subscription_id=sub.pk,
                kind=Payment.Kind.CHARGE,
                status=Payment.Status.SUCCEEDED,
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if charge is not None:
            payment_refund(payment_id=charge.pk, actor=actor, reason=reason, now=now)

    def finish(self) -> None:
        pass


class BulkLedger:
    """The same changes in memory, written at ``finish`` (see the module docstring).

    Each method mirrors its service in ``subscriptions.services`` for the demo
    provider and a reader acting on their own subscription: same checks, same
    fields, same payment ids and descriptions, same audit entries.
    """

    def __init__(self):
        self.checkouts: list[CheckoutSession] = []
        self.subscriptions: list[Subscription] = []
        self.payments: list[tuple[Payment, str]] = []  # (row, provider id template)
        self.audits: list[AuditEntry] = []
        self.refunds: list[tuple[Payment, str, object, datetime]] = []  # charge, reason, actor, at
        self.trials: set[tuple[int, int]] = set()  # (user, plan) that had a trial

    # -- helpers ------------------------------------------------------------------

    def _audit(self, sub, *, action, actor, source, now, before=None, reason="") -> None:
        self.audits.append(
            AuditEntry(
                user_id=sub.user_id,
                subscription=sub,
                actor=actor,
                source=source,
                action=action,
                reason=reason,
                before=before or {},
                after=sub.snapshot(),
                created_at=now,
            )
        )

    def _pay(self, sub, *, amount, template, status, description, now) -> Payment:
        payment = Payment(
            user_id=sub.user_id,
            subscription=sub,
            amount=amount,
            provider=sub.provider,
            status=status,
            description=description,
            created_at=now,
        )
        self.payments.append((payment, template))
        return payment

    @staticmethod
    def _source(actor) -> str:
        return "system" if actor is None else ("staff" if actor.is_staff else "reader")

    # -- the changes --------------------------------------------------------------

    def checkout(self, *, session_id, user, plan, period, at) -> CheckoutSession:
        session = new_checkout(session_id=session_id, user=user, plan=plan, period=period, at=at)
        self.checkouts.append(session)
        return session

    def fail(self, session, *, now) -> None:
        if session.status == C.OPEN:
            session.status = C.FAILED
            session.completed_at = now

    def complete(self, session, *, now) -> Subscription:
        """``checkout_complete`` -> ``subscription_start`` (+ the first charge)."""
        plan, user = session.plan, session.user
        trial = plan.trial_days > 0 and (user.pk, plan.pk) not in self.trials
        end = now + (
            timedelta(days=plan.trial_days) if trial else period_length(session.billing_period)
        )
        sub = Subscription(
            user=user,
            plan=plan,
            billing_period=session.billing_period,
            status=S.TRIALING if trial else S.ACTIVE,
            current_period_start=now,
            current_period_end=end,
            trial_end=end if trial else None,
            provider=session.provider,
            created_at=now,
        )
        if trial:
            self.trials.add((user.pk, plan.pk))
        self.subscriptions.append(sub)
        self._audit(sub, action="start", actor=user, source=self._source(user), now=now)
        if sub.status == S.ACTIVE:
            self._pay(
                sub,
                amount=session.amount,
                template=f"checkout_{session.pk}",
                status=Payment.Status.SUCCEEDED,
                description=f"{plan.name} ({sub.get_billing_period_display()})",
                now=now,
            )
        session.status = C.COMPLETED
        session.subscription = sub
        session.completed_at = now
        return sub

    def renew(self, sub, *, now) -> Subscription:
        """``subscription_renew`` as the sweep calls it (no payment id)."""
        _require(sub.status != S.EXPIRED, "An expired subscription cannot be renewed.")
        if sub.status != S.PAST_DUE and sub.current_period_end > now:
            return sub
        before = sub.snapshot()
        template = f"renewal_{{pk}}_{sub.current_period_end:%Y%m%d%H%M}"
        start = max(sub.current_period_end, now) if sub.status != S.PAST_DUE else now
        sub.current_period_start = start
        sub.current_period_end = start + period_length(sub.billing_period)
        sub.status = S.ACTIVE
        sub.grace_until = None
        self._pay(
            sub,
            amount=plan_price(sub.plan, sub.billing_period),
            template=template,
            status=Payment.Status.SUCCEEDED,
            description=f"{sub.plan.name} renewal",
            now=now,
        )
        self._audit(sub, action="renew", actor=None, source="system", now=now, before=before)
        return sub

    def past_due(self, sub, *, now) -> Subscription:
        """``subscription_mark_past_due`` with the declined charge."""
        if sub.status in (S.PAST_DUE, S.CANCELED, S.EXPIRED):
            return sub
        before = sub.snapshot()
        template = f"renewal_{{pk}}_{sub.current_period_end:%Y%m%d%H%M}_declined"
        sub.status = S.PAST_DUE
        sub.grace_until = max(sub.current_period_end, now) + timedelta(
            days=settings.SUBSCRIPTION_GRACE_DAYS
        )
        self._pay(
            sub,
            amount=plan_price(sub.plan, sub.billing_period),
            template=template,
            status=Payment.Status.FAILED,
            description=f"{sub.plan.name} renewal",
            now=now,
        )
        self._audit(
            sub,
            action="past_due",
            actor=None,
            source="system",
            now=now,
            before=before,
            reason="payment failed",
        )
        return sub

    def cancel(self, sub, *, actor, now) -> Subscription:
        """``subscription_cancel`` by the reader: at period end."""
        if sub.status == S.EXPIRED or sub.cancel_at_period_end or sub.status == S.CANCELED:
            return sub
        before = sub.snapshot()
        sub.status = S.CANCELED
        sub.cancel_at_period_end = True
        sub.canceled_at = now
        sub.scheduled_plan = None
        self._audit(
            sub,
            action="cancel_at_period_end",
            actor=actor,
            source=self._source(actor),
            now=now,
            before=before,
        )
        return sub

    def resume(self, sub, *, actor, now) -> Subscription:
        if not sub.cancel_at_period_end and sub.status != S.CANCELED:
            return sub
        _require(sub.current_period_end > now, "This subscription has ended.")
        before = sub.snapshot()
        sub.cancel_at_period_end = False
        sub.canceled_at = None
        if sub.status == S.CANCELED:
            sub.status = S.ACTIVE
        self._audit(
            sub, action="resume", actor=actor, source=self._source(actor), now=now, before=before
        )
        return sub

    def upgrade(self, sub, *, plan, actor, now) -> Subscription:
        """``subscription_change_plan`` to a dearer plan: at once, prorated."""
        _require(
            sub.status in (S.TRIALING, S.ACTIVE) and not sub.cancel_at_period_end,
            "Only a running subscription can change plan.",
        )
        if plan.pk == sub.plan_id:
            return sub
        old_price = plan_price(sub.plan, sub.billing_period)
        new_price = plan_price(plan, sub.billing_period)
        _require(new_price > old_price, "The demo business only upgrades.")
        before = sub.snapshot()
        if sub.status == S.ACTIVE:
            total = (sub.current_period_end - sub.current_period_start).total_seconds()
            remaining = max((sub.current_period_end - now).total_seconds(), 0)
            prorated = round((new_price - old_price) * remaining / total) if total else 0
            if prorated:
                self._pay(
                    sub,
                    amount=prorated,
                    template=f"upgrade_{{pk}}_{plan.code}_{now:%Y%m%d%H%M%S}",
                    status=Payment.Status.SUCCEEDED,
                    description=f"Upgrade to {plan.name} (prorated)",
                    now=now,
                )
        sub.plan = plan
        sub.scheduled_plan = None
        self._audit(
            sub, action="upgrade", actor=actor, source=self._source(actor), now=now, before=before
        )
        return sub

    def expire(self, sub, *, now) -> Subscription:
        if sub.status == S.EXPIRED or sub.grants_access(now):
            return sub
        if sub.status in (S.TRIALING, S.ACTIVE) and not sub.cancel_at_period_end:
            return sub
        before = sub.snapshot()
        sub.status = S.EXPIRED
        sub.grace_until = None
        self._audit(sub, action="expire", actor=None, source="system", now=now, before=before)
        return sub

    def refund_last_charge(self, sub, *, actor, reason, now) -> None:
        """``payment_refund`` of the subscription's latest succeeded charge (by staff)."""
        charges = [
            p
            for p, _ in self.payments
            if p.subscription is sub
            and p.kind == Payment.Kind.CHARGE
            and p.status == Payment.Status.SUCCEEDED
            and p.created_at <= now
        ]
        if charges:
            charge = max(charges, key=lambda p: p.created_at)
            charge.status = Payment.Status.REFUNDED
            self.refunds.append((charge, reason, actor, now))

    # -- writing ------------------------------------------------------------------

    def finish(self) -> None:
        Subscription.objects.bulk_create(self.subscriptions, batch_size=1000)
        for payment, template in self.payments:
            payment.provider_payment_id = template.format(pk=payment.subscription.pk)
        Payment.objects.bulk_create([p for p, _ in self.payments], batch_size=2000)
        refunds = []
        for charge, reason, _actor, at in self.refunds:
            refunds.append(
                Payment(
                    user_id=charge.user_id,
                    subscription=charge.subscription,
                    kind=Payment.Kind.REFUND,
                    status=Payment.Status.SUCCEEDED,
                    amount=charge.amount,
                    provider=charge.provider,
                    provider_payment_id=f"demo_refund_{charge.pk}",
                    refund_of=charge,
                    description=f"Refund: {reason}"[:200],
                    created_at=at,
                )
            )
        Payment.objects.bulk_create(refunds, batch_size=2000)
        for (charge, reason, actor, at), refund in zip(self.refunds, refunds, strict=True):
            self.audits.append(
                AuditEntry(
                    user_id=charge.user_id,
                    subscription=charge.subscription,
                    actor=actor,
                    source="staff",
                    action="refund",
                    reason=reason,
                    before={"payment": charge.pk, "status": "succeeded", "amount": charge.amount},
                    after={"payment": charge.pk, "status": "refunded", "refund": refund.pk},
                    created_at=at,
                )
            )
        AuditEntry.objects.bulk_create(self.audits, batch_size=2000)
        CheckoutSession.objects.bulk_create(self.checkouts, batch_size=2000)


def settle_timestamps(*, username_prefix: str) -> None:
    """``updated_at`` as it would read had the history happened at its own time (the
    services and bulk inserts stamp today): a subscription's last change, a
    payment's creation, or for a refunded charge, its refund."""
    from django.db.models import F, Max, OuterRef, Subquery

    mine = {"user__username__startswith": username_prefix}
    last_change = (
        AuditEntry.objects.filter(subscription=OuterRef("pk"))
        .order_by()
        .values("subscription")
        .annotate(at=Max("created_at"))
        .values("at")
    )
    Subscription.objects.filter(**mine).update(updated_at=Subquery(last_change))
    Payment.objects.filter(**mine).update(updated_at=F("created_at"))
    refunded_at = Payment.objects.filter(refund_of=OuterRef("pk")).values("created_at")[:1]
    Payment.objects.filter(**mine, status=Payment.Status.REFUNDED).update(
        updated_at=Subquery(refunded_at)
    )
