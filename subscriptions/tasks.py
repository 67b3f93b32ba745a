"""Subscription work for Celery. Each task hands over to a service and is safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone

from .billing import providers_that
from .billing.webhooks import webhook_process
from .models import Subscription, WebhookEvent
from .services.lifecycle import subscription_expire, subscription_renew

logger = logging.getLogger(__name__)
S = Subscription.Status


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def process_webhook_event(event_pk: int) -> str:
    """Process one stored webhook event (once; errors retry with backoff)."""
    return webhook_process(event_pk=event_pk, now=timezone.now())


@shared_task(acks_late=True)
def retry_stuck_webhooks() -> int:
    """Re-enqueue events still unprocessed after 5 minutes (a lost task, exhausted retries)."""
    cutoff = timezone.now() - timedelta(minutes=5)
    stuck = WebhookEvent.objects.filter(
        status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED],
        received_at__lt=cutoff,
        attempts__lt=50,
    ).values_list("pk", flat=True)[:500]
    for pk in stuck:
        process_webhook_event.delay(pk)
    return len(stuck)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def renew_due() -> int:
    """Charge subscriptions whose period (or trial) has ended and that should renew,
    for the providers whose renewals we charge (``charges_renewals_here``).

    Stripe renews on its side and tells us by webhook; the demo provider's
    charge always succeeds.
    """
    now = timezone.now()
    due = Subscription.objects.filter(
        provider__in=providers_that("charges_renewals_here"),
        status__in=[S.TRIALING, S.ACTIVE],
        cancel_at_period_end=False,
        current_period_end__lte=now,
    ).values_list("pk", flat=True)
    done = 0
    for pk in due:
        subscription_renew(subscription_id=pk, now=now)
        done += 1
    return done


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def expire_lapsed() -> int:
    """Expire canceled subscriptions past their period and past_due ones past their grace."""
    now = timezone.now()
    lapsed = Subscription.objects.filter(
        Q(status=S.CANCELED, current_period_end__lte=now)
        | Q(status=S.PAST_DUE, grace_until__lte=now)
        | Q(
            status__in=[S.ACTIVE, S.TRIALING],
            cancel_at_period_end=True,
            current_period_end__lte=now,
        )
    ).values_list("pk", flat=True)
    count = 0
    for pk in lapsed:
        if subscription_expire(subscription_id=pk, now=now).status == S.EXPIRED:
            count += 1
    return count


def _mail(user, subject: str, body: str) -> None:
    if user.email:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def send_renewal_reminders() -> int:
    """E-mail readers whose period renews within SUBSCRIPTION_REMINDER_DAYS, once per period."""
    now = timezone.now()
    soon = now + timedelta(days=settings.SUBSCRIPTION_REMINDER_DAYS)
    sent = 0
    for sub in Subscription.objects.select_related("user", "plan").filter(
        status=S.ACTIVE,
        cancel_at_period_end=False,
        current_period_end__gt=now,
        current_period_end__lte=soon,
    ):
        if sub.renewal_reminder_for == sub.current_period_end:
            continue
        # Mark first: a crash after the mail is sent must not send it again.
        updated = (
            Subscription.objects.filter(pk=sub.pk)
            .exclude(renewal_reminder_for=sub.current_period_end)
            .update(renewal_reminder_for=sub.current_period_end)
        )
        if updated:
            _mail(
                sub.user,
                f"{settings.SITE_NAME}: langganan {sub.plan.name} diperpanjang",
                f"Langganan {sub.plan.name} Anda akan diperpanjang pada "
                f"{timezone.localtime(sub.current_period_end):%d-%m-%Y}.\n"
                f"Kelola langganan: {settings.SITE_URL}/akun/",
            )
            sent += 1
    return sent


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True)
def send_trial_ending_notices() -> int:
    """E-mail readers whose trial ends within SUBSCRIPTION_REMINDER_DAYS (once per trial)."""
    now = timezone.now()
    soon = now + timedelta(days=settings.SUBSCRIPTION_REMINDER_DAYS)
    sent = 0
    for sub in Subscription.objects.select_related("user", "plan").filter(
        status=S.TRIALING, trial_reminder_sent=False, trial_end__gt=now, trial_end__lte=soon
    ):
        if Subscription.objects.filter(pk=sub.pk, trial_reminder_sent=False).update(
            trial_reminder_sent=True
        ):
            _mail(
                sub.user,
                f"{settings.SITE_NAME}: masa uji coba {sub.plan.name} segera berakhir",
                f"Masa uji coba Anda berakhir {timezone.localtime(sub.trial_end):%d-%m-%Y}.\n"
                f"Kelola langganan: {settings.SITE_URL}/akun/",
            )
            sent += 1
    return sent
