"""The reader's own account over the API: me, entitlements, subscription, meter;
and the public plan list.

Thin on purpose: each handler asks ``subscriptions.entitlements`` /
``subscriptions.access`` and presents. SWITCH AFTER MERGE: the meter and the
current-subscription lookups move to the paywall work's selectors.
"""

from datetime import datetime
from types import SimpleNamespace

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from apitokens.auth import PUBLIC, PUBLIC_SECURITY, READER
from newsroom.api_http import mark_personal, mark_shareable
from newsroom.api_schemas import ERRORS, id_path

from .access import decide, entitlement_class, reader_from_request
from .entitlements import current_subscriptions, entitlements_for
from .models import Plan, Subscription
from .plans import PREMIUM_CONTENT

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
    """The subscription that grants the reader's entitlements now, if any."""

    subscription: SubscriptionOut | None


class SubscriptionListOut(Schema):
    """Every subscription of the reader, newest first."""

    items: list[SubscriptionOut]


class MeterOut(Schema):
    """The reader's free-article allowance."""

    metered: bool = Field(description="False when a subscription lifts the meter.")
    reason: str
    left: int | None = Field(description="Metered articles still open to the reader.")


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
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "email": user.email,
        "entitlement_class": entitlement_class(request),
        "entitlements": sorted(entitlements_for(user)),
    }


@router.get(
    "/me/entitlements", response={200: EntitlementsOut, **ERRORS}, summary="My entitlements"
)
def my_entitlements(request):
    """The union of what the reader's current subscriptions grant."""
    mark_personal(request)
    return {
        "entitlement_class": entitlement_class(request),
        "entitlements": sorted(entitlements_for(request.user)),
    }


@router.get(
    "/me/subscription",
    response={200: CurrentSubscriptionOut, **ERRORS},
    summary="My current subscription",
)
def my_subscription(request):
    """The current subscription with the latest period end, or null."""
    mark_personal(request)
    current = (
        current_subscriptions(request.user)
        .select_related("plan")
        .order_by("-current_period_end")
        .first()
    )
    if current is None:
        return {"subscription": None}
    return {"subscription": present_subscription(current, current_ids={current.pk})}


@router.get(
    "/me/subscriptions",
    response={200: SubscriptionListOut, **ERRORS},
    summary="All my subscriptions",
)
def my_subscriptions(request):
    """Every subscription the reader ever had, newest first."""
    mark_personal(request)
    current_ids = _current_ids(request.user)
    subscriptions = Subscription.objects.filter(user=request.user).select_related("plan")[:100]
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


# A metered article that is not one: asks the decision how the meter stands.
_METER_PROBE = SimpleNamespace(pk=None, access_level="metered")


@router.get("/me/meter", response={200: MeterOut, **ERRORS}, summary="My free-article meter")
def my_meter(request):
    """How many metered articles the reader may still open.

    SWITCH AFTER MERGE: read ``subscriptions.meter``'s status directly.
    """
    mark_personal(request)
    if PREMIUM_CONTENT in entitlements_for(request.user):
        return {"metered": False, "reason": "subscriber", "left": None}
    decision = decide(reader=reader_from_request(request), article=_METER_PROBE)
    return {"metered": True, "reason": decision.reason, "left": decision.meter_left}


@plans_router.get(
    "/plans",
    response={200: PlanListOut, **ERRORS},
    summary="Plans on sale",
    openapi_extra=PUBLIC_SECURITY,
)
def plan_list(request):
    """Free registration, ad-free and premium, with prices in rupiah."""
    mark_shareable(request)
    return {"items": [present_plan(p) for p in Plan.objects.filter(is_active=True)]}
