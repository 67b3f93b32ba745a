"""What the reader's account page says about their subscription, and what it offers.

One place decides the page's wording: the state (free, trial, active, past due
in grace, cancelled at period end, expired), the banner that says what happens
next and when, and the actions that fit. The template only lays it out.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import Payment, Subscription
from .selectors import ReaderSummary
from .templatetags.money import idr

S = Subscription.Status


class State:
    FREE = "free"
    TRIAL = "trial"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELING = "canceling"  # cancelled, access until the paid period ends
    EXPIRED = "expired"


@dataclass(frozen=True)
class AccountStatus:
    """The banner at the top of the account page and the actions under it."""

    state: str
    tone: str  # "info", "ok", "warning", "danger": the banner's colour
    title: str
    detail: str  # what happens next, with its date
    subscription: Subscription | None  # the one the actions act on
    can_change_plan: bool = False
    can_cancel: bool = False
    can_resume: bool = False
    offer_plans: bool = False  # a link to /langganan/ (free or expired)
    date: datetime | None = None  # the date the detail names, for data-* markup


@dataclass(frozen=True)
class PaymentRow:
    date: datetime
    plan: str
    description: str  # the provider's line (e.g. a proration), when it says more than the plan
    amount: str  # in rupiah, a refund with a minus sign
    status: str
    status_code: str  # the Payment.Status value, for the badge colour
    receipt_url: str | None  # no provider records one yet; shown when one does


def _day(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "j F Y")


def _last_ended(summary: ReaderSummary, now: datetime) -> Subscription | None:
    """The reader's most recent subscription that no longer grants access."""
    for sub in summary.subscriptions:  # newest first
        if sub.status == S.EXPIRED or not sub.grants_access(now):
            return sub
    return None


def account_status(
    summary: ReaderSummary, *, reader_managed: bool, now: datetime | None = None
) -> AccountStatus:
    """The account page's banner and actions for the reader in ``summary``.

    ``reader_managed`` is the provider's word on whether the reader may cancel,
    resume or change plan here (a gift from staff may not).
    """
    now = now or timezone.now()
    sub = summary.subscription
    if sub is None:
        ended = _last_ended(summary, now)
        if ended is not None:
            end = ended.grace_until if ended.status == S.PAST_DUE else ended.current_period_end
            return AccountStatus(
                state=State.EXPIRED,
                tone="danger",
                title=_("Your %(plan)s subscription has ended") % {"plan": ended.plan.name},
                detail=_("Access ended on %(date)s. Subscribe again to read every article.")
                % {"date": _day(end)},
                subscription=ended,
                offer_plans=True,
                date=end,
            )
        return AccountStatus(
            state=State.FREE,
            tone="info",
            title=_("Free account"),
            detail=_("Subscribe to read every article, without a monthly limit."),
            subscription=None,
            offer_plans=True,
        )
    plan = sub.plan.name
    if sub.cancel_at_period_end or sub.status == S.CANCELED:
        return AccountStatus(
            state=State.CANCELING,
            tone="warning",
            title=_("Your %(plan)s subscription is cancelled") % {"plan": plan},
            detail=_(
                "You keep access until %(date)s; nothing more will be charged. "
                "Changed your mind? Resume before then."
            )
            % {"date": _day(sub.current_period_end)},
            subscription=sub,
            can_resume=reader_managed,
            date=sub.current_period_end,
        )
    if sub.status == S.PAST_DUE:
        return AccountStatus(
            state=State.PAST_DUE,
            tone="danger",
            title=_("Your last payment failed"),
            detail=_(
                "We keep your access while we retry the payment. If it has not "
                "succeeded by %(date)s, your subscription ends."
            )
            % {"date": _day(sub.grace_until or sub.current_period_end)},
            subscription=sub,
            can_cancel=reader_managed,
            date=sub.grace_until or sub.current_period_end,
        )
    price = _price(sub)
    if sub.status == S.TRIALING:
        trial_end = sub.trial_end or sub.current_period_end
        return AccountStatus(
            state=State.TRIAL,
            tone="info",
            title=_("Free trial of %(plan)s") % {"plan": plan},
            detail=_("Your trial ends on %(date)s; then %(price)s is charged.")
            % {"date": _day(trial_end), "price": price},
            subscription=sub,
            can_change_plan=reader_managed,
            can_cancel=reader_managed,
            date=trial_end,
        )
    return AccountStatus(
        state=State.ACTIVE,
        tone="ok",
        title=_("%(plan)s subscriber") % {"plan": plan},
        detail=_("Renews on %(date)s for %(price)s.")
        % {"date": _day(sub.current_period_end), "price": price},
        subscription=sub,
        can_change_plan=reader_managed,
        can_cancel=reader_managed,
        date=sub.current_period_end,
    )


def _price(sub: Subscription) -> str:
    """The plan's price for the subscription's billing period, e.g. "Rp65.000 a month"."""
    if sub.billing_period == Subscription.Period.YEAR:
        return _("%(price)s a year") % {"price": idr(sub.plan.price_yearly)}
    return _("%(price)s a month") % {"price": idr(sub.plan.price_monthly)}


def payment_rows(payments) -> list[PaymentRow]:
    """The payment history as the account page lists it."""
    rows = []
    for p in payments:
        plan = p.subscription.plan.name if p.subscription_id else p.description
        amount = idr(p.amount)
        if p.kind == Payment.Kind.REFUND:
            amount = "−" + amount
        rows.append(
            PaymentRow(
                date=p.created_at,
                plan=plan or p.description,
                description=p.description if p.description not in ("", plan) else "",
                amount=amount,
                status=p.get_status_display(),
                status_code=p.status,
                receipt_url=None,
            )
        )
    return rows
