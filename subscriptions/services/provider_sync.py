"""A payment provider's view of a subscription (from webhooks), applied newest-first."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from ..models import Plan, Subscription
from .common import audit, period_length

S = Subscription.Status


def subscription_apply_provider_snapshot(
    *, provider: str, snapshot: dict, event_time: datetime | None, now: datetime
) -> str:
    """Bring our subscription in line with the provider's view of it.

    ``event_time`` is when the provider produced the snapshot; an older one
    than the last applied is stale and ignored, so out-of-order deliveries end
    in the newest state. ``event_time=None`` is provisional (checkout
    completed): it creates the subscription if nothing did yet, and changes
    nothing otherwise. Returns "processed" or "ignored".
    """
    from django.contrib.auth import get_user_model

    status = snapshot.get("status")
    if not snapshot.get("id") or not status:
        return "ignored"
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update()
            .select_related("plan")
            .filter(provider=provider, provider_subscription_id=snapshot["id"])
            .first()
        )
        if sub is None:
            user = get_user_model().objects.filter(pk=snapshot.get("user_id") or 0).first()
            plan = Plan.objects.filter(code=snapshot.get("plan_code") or "").first()
            if user is None or plan is None:
                return "ignored"
            billing_period = snapshot.get("billing_period") or Subscription.Period.MONTH
            sub = Subscription(
                user=user,
                plan=plan,
                billing_period=billing_period,
                provider=provider,
                provider_subscription_id=snapshot["id"],
                provider_customer_id=snapshot.get("customer") or "",
                current_period_start=snapshot.get("period_start") or now,
                current_period_end=snapshot.get("period_end")
                or now + period_length(billing_period),
                created_at=now,
            )
            before: dict = {}
            action = "start"
            try:
                with transaction.atomic():
                    _apply_snapshot(sub, snapshot, event_time, now)
                    sub.save()
            except IntegrityError:  # a concurrent event created it: apply over that one
                return subscription_apply_provider_snapshot(
                    provider=provider, snapshot=snapshot, event_time=event_time, now=now
                )
        else:
            if event_time is None:
                return "ignored"
            if sub.provider_synced_at and event_time < sub.provider_synced_at:
                return "ignored"
            before = sub.snapshot()
            plan = Plan.objects.filter(code=snapshot.get("plan_code") or "").first()
            if plan is not None:
                sub.plan = plan
            _apply_snapshot(sub, snapshot, event_time, now)
            sub.save()
            action = "provider_sync"
            if before == sub.snapshot():
                return "processed"
        audit(
            subscription=sub,
            user=sub.user,
            actor=None,
            source="provider",
            action=action,
            reason=f"{provider} status {status}",
            before=before,
            after=sub.snapshot(),
            now=now,
        )
    return "processed"


def _apply_snapshot(sub: Subscription, snap: dict, event_time, now) -> None:
    status = snap["status"]
    if snap.get("period_start"):
        sub.current_period_start = snap["period_start"]
    if snap.get("period_end"):
        sub.current_period_end = snap["period_end"]
    sub.trial_end = snap.get("trial_end") or sub.trial_end
    sub.cancel_at_period_end = bool(snap.get("cancel_at_period_end"))
    if snap.get("customer"):
        sub.provider_customer_id = snap["customer"]
    if status == S.ACTIVE and sub.cancel_at_period_end:
        status = S.CANCELED  # ours: paid up until the period ends
        sub.canceled_at = sub.canceled_at or now
    if status == S.PAST_DUE:
        sub.grace_until = sub.grace_until or max(sub.current_period_end, now) + timedelta(
            days=settings.SUBSCRIPTION_GRACE_DAYS
        )
    else:
        sub.grace_until = None
    if status == S.EXPIRED:
        ended = snap.get("ended_at") or now
        sub.current_period_end = min(sub.current_period_end, ended)
        sub.canceled_at = sub.canceled_at or ended
    sub.status = status
    if event_time is not None:
        sub.provider_synced_at = event_time
