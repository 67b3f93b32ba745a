"""The reader's own account over the API: me, entitlements, subscription, meter;
and the public plan list.

Thin on purpose: each handler asks the paywall's own reads (the account page
uses the same ones) and presents: ``selectors.reader_summary`` for the
account, ``meter.meter_state`` for the meter, ``access.decide`` for whether
the meter applies at all, ``selectors.plans_on_sale`` for the plans.
"""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from apitokens.auth import PUBLIC, PUBLIC_SECURITY, READER
from core.api_http import mark_personal, mark_shareable
from core.api_schemas import ERRORS, id_path
from paywall.meter import meter_state
from paywall.policy import ArticleFacts, Surface, decide
from paywall.reading import needs_meter
from paywall.rights import AccessLevel

from . import selectors
from .entitlements import current_subscriptions
from .models import Plan, Subscription
from .rights import rights_for_user

router = Router(tags=["reader"], auth=READER)
plans_router = Router(tags=["plans"], auth=PUBLIC)


class MeOut(Schema):
    """The signed-in reader."""

    id: int
    username: str
    name: str
    email: str
    entitlement_class: str = Field(description="anonymous, registered, ad_free or premium.")
    entitlements: list[str]


class EntitlementsOut(Schema):
    """What the reader's current subscriptions allow."""

    entitlement_class: str
    entitlements: list[str] = Field(examples=[["ad_free", "premium_content"]])


class PlanOut(Schema):
    """A plan on sale."""

    code: str
    name: str
    description: str
    entitlements: list[str]
    currency: str = "IDR"
    price_monthly: int
    price_yearly: int
    trial_days: int


class PlanListOut(Schema):
    """Plans on sale, in their order."""

    items: list[PlanOut]


class SubscriptionOut(Schema):
    """One of the reader's subscriptions."""

    id: int
    plan: PlanOut
    status: str
    billing_period: str
    current_period_start: datetime
    current_period_end: datetime
    trial_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    is_current: bool = Field(description="Grants its plan's entitlements right now.")


class CurrentSubscriptionOut(Schema):
    """The subscription that grants the reader's entitlements now, if any (the best plan)."""

    subscription: SubscriptionOut | None
    renews_at: datetime | None = Field(
        description="When it renews (active or trialing, not cancelled); else null."
    )
    ends_at: datetime | None = Field(
        description="When access ends (cancelled, or past due until the grace period ends)."
    )


class SubscriptionListOut(Schema):
    """Every subscription of the reader, newest first."""

    items: list[SubscriptionOut]


class MeterOut(Schema):
    """The reader's free-article allowance this month."""

    metered: bool = Field(description="False when a subscription (or staff) lifts the meter.")
    reason: str = Field(
        description="subscriber or staff (not metered); metered (reads left) or "
        "meter_exhausted_registered (none left)."
    )
    limit: int | None = Field(description="Metered articles a month; null when not metered.")
    used: int | None = Field(description="Distinct metered articles read this month.")
    left: int | None = Field(description="Metered articles still open to the reader.")
    period_end: datetime | None = Field(description="When the allowance starts again.")


def present_plan(plan: Plan) -> dict:
    return {
        "code": plan.code,
        "name": plan.name,
        "description": plan.description,
        "entitlements": list(plan.entitlements or []),
        "currency": "IDR",
        "price_monthly": plan.price_monthly,
        "price_yearly": plan.price_yearly,
        "trial_days": plan.trial_days,
    }


def present_subscription(subscription: Subscription, *, current_ids: set[int]) -> dict:
    return {
        "id": subscription.pk,
        "plan": present_plan(subscription.plan),
        "status": subscription.status,
        "billing_period": subscription.billing_period,
        "current_period_start": subscription.current_period_start,
        "current_period_end": subscription.current_period_end,
        "trial_end": subscription.trial_end,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "canceled_at": subscription.canceled_at,
        "is_current": subscription.pk in current_ids,
    }


def _current_ids(user) -> set[int]:
    return set(current_subscriptions(user).values_list("pk", flat=True))


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in reader")
def me(request):
    """Who the session or token belongs to, and what they may see."""
    mark_personal(request)
    user = request.user
    summary = selectors.reader_summary(user)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "email": user.email,
        "entitlement_class": summary.entitlement_class,
        "entitlements": sorted(summary.entitlements),
    }


@router.get(
    "/me/entitlements", response={200: EntitlementsOut, **ERRORS}, summary="My entitlements"
)
def my_entitlements(request):
    """The union of what the reader's current subscriptions grant."""
    mark_personal(request)
    summary = selectors.reader_summary(request.user)
    return {
        "entitlement_class": summary.entitlement_class,
        "entitlements": sorted(summary.entitlements),
    }


@router.get(
    "/me/subscription",
    response={200: CurrentSubscriptionOut, **ERRORS},
    summary="My current subscription",
)
def my_subscription(request):
    """The subscription the account page shows: the best current plan, or null."""
    mark_personal(request)
    summary = selectors.reader_summary(request.user)
    current = summary.subscription
    return {
        "subscription": (
            present_subscription(current, current_ids={current.pk}) if current else None
        ),
        "renews_at": summary.renews_at,
        "ends_at": summary.ends_at,
    }


@router.get(
    "/me/subscriptions",
    response={200: SubscriptionListOut, **ERRORS},
    summary="All my subscriptions",
)
def my_subscriptions(request):
    """Every subscription the reader ever had, newest first."""
    mark_personal(request)
    current_ids = _current_ids(request.user)
    subscriptions = selectors.subscriptions_of(request.user, limit=100)
    return {"items": [present_subscription(s, current_ids=current_ids) for s in subscriptions]}


@router.get(
    "/me/subscriptions/{subscription_id}",
    response={200: SubscriptionOut, **ERRORS},
    summary="One of my subscriptions",
)
def my_subscription_detail(request, subscription_id: int = id_path("subscription")):
    """Another reader's subscription id is "not found", never "forbidden"."""
    mark_personal(request)
    subscription = get_object_or_404(
        Subscription.objects.select_related("plan"), pk=subscription_id, user=request.user
    )
    return present_subscription(subscription, current_ids=_current_ids(request.user))


@router.get("/me/meter", response={200: MeterOut, **ERRORS}, summary="My free-article meter")
def my_meter(request):
    """How many metered articles the reader may still open this month.

    Whether the meter applies at all is the paywall decision's call (a
    subscriber or staff reads metered articles without it); the counts are
    the meter's own (``meter_state``), the ones the article page spends.
    """
    mark_personal(request)
    rights = rights_for_user(request.user)
    any_metered = ArticleFacts(pk=0, access_level=AccessLevel.METERED)
    if not needs_meter(rights, any_metered):
        lifted = decide(rights=rights, article=any_metered, surface=Surface.API)
        return {
            "metered": False,
            "reason": lifted.reason,
            "limit": None,
            "used": None,
            "left": None,
            "period_end": None,
        }
    state = meter_state(rights)
    return {
        "metered": True,
        "reason": "metered" if state.left else "meter_exhausted_registered",
        "limit": state.limit,
        "used": state.used,
        "left": state.left,
        "period_end": state.period_end,
    }


@plans_router.get(
    "/plans",
    response={200: PlanListOut, **ERRORS},
    summary="Plans on sale",
    openapi_extra=PUBLIC_SECURITY,
)
def plan_list(request):
    """Free registration, ad-free and premium, with prices in rupiah."""
    mark_shareable(request)
    return {"items": [present_plan(p) for p in selectors.plans_on_sale()]}
