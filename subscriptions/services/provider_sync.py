"""A payment provider's view of a subscription (from webhooks), applied newest-first."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from ..billing import get_provider
from ..models import Plan, Subscription
from .common import audit, lock_reader, period_length
from .lifecycle import running_subscription_for

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

    A snapshot that would give the reader a second running subscription is
    refused (see ``models.RUNNING_STATUSES``): a new one is stored expired,
    marked ``duplicate_of`` the running one, and stopped at the provider at
    once (its charges are refunded as they are reported); an old one the
    provider revived keeps our state and is set to cancel at its period end.
    """
    from django.contrib.auth import get_user_model

    status = snapshot.get("status")
    if not snapshot.get("id") or not status:
        return "ignored"
    with transaction.atomic():
        # The reader's lock first (see ``common``): ours if we know the subscription.
        known = (
            Subscription.objects.filter(provider=provider, provider_subscription_id=snapshot["id"])
            .values_list("user_id", flat=True)
            .first()
        )
        user_id = known or _as_id(snapshot.get("user_id"))
        if user_id:
            lock_reader(user_id)
        sub = (
            Subscription.objects.select_for_update()
            .select_related("plan")
            .filter(provider=provider, provider_subscription_id=snapshot["id"])
            .first()
        )
        if sub is None:
            user = get_user_model().objects.filter(pk=user_id or 0).first()
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
            _apply_snapshot(sub, snapshot, event_time, now)
            running = running_subscription_for(user, now=now) if sub.is_running else None
            if running is not None:
                sub.status = S.EXPIRED
                sub.duplicate_of = running
                sub.grace_until = None
                sub.current_period_end = min(sub.current_period_end, now)
                action = "refuse_second"
            try:
                with transaction.atomic():
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
            was_running = sub.is_running
            plan = Plan.objects.filter(code=snapshot.get("plan_code") or "").first()
            if plan is not None:
                sub.plan = plan
            _apply_snapshot(sub, snapshot, event_time, now)
            action = "provider_sync"
            if sub.is_running and not was_running:
                if sub.duplicate_of_id is not None:
                    return "ignored"  # refused once and stopped at the provider already
                running = running_subscription_for(sub.user, now=now)
                if running is not None:
                    return _refuse_revived(sub, running, provider, event_time, now=now)
            sub.save()
            if before == sub.snapshot():
                return "processed"
        audit(
            subscription=sub,
            user=sub.user,
            actor=None,
            source="provider",
            action=action,
            reason=f"{provider} status {status}"
            + (f"; #{sub.duplicate_of_id} already running" if action == "refuse_second" else ""),
            before=before,
            after=sub.snapshot(),
            now=now,
        )
        if action == "refuse_second":
            get_provider(provider).cancel(subscription=sub, immediately=True)
    return "processed"


def _refuse_revived(sub, running, provider: str, event_time, *, now) -> str:
    """The provider says a stopped subscription runs again while ``running`` runs: keep
    ours as it was and ask the provider to end it with its period."""
    sub.refresh_from_db()
    Subscription.objects.filter(pk=sub.pk).update(provider_synced_at=event_time)
    audit(
        subscription=sub,
        user=sub.user,
        source="provider",
        action="refuse_second",
        reason=f"{provider} revived it while #{running.pk} was running; set to end",
        before=sub.snapshot(),
        after=sub.snapshot(),
        now=now,
    )
    get_provider(provider).cancel(subscription=sub, immediately=False)
    return "processed"


def _as_id(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


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
