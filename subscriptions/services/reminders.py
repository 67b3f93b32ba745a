"""Reminder e-mails: a renewal coming up, a free trial ending. Each sent once.

The texts are templates (``subscriptions/email/<kind>_subject.txt`` and
``_body.txt``) rendered in the reader's language. Nothing stores a reader's
language yet, so it is the site's (``LANGUAGE_CODE``, Indonesian) unless the
caller names one.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ..models import Subscription

S = Subscription.Status


def render_reminder(*, kind: str, subscription: Subscription, language: str) -> tuple[str, str]:
    """(subject, body) of the ``kind`` e-mail about ``subscription``, in ``language``."""
    user = subscription.user
    with translation.override(language):
        context = {
            "site_name": settings.SITE_NAME,
            "name": user.get_full_name() or user.get_username(),
            "plan_name": subscription.plan.name,
            "renews_at": subscription.current_period_end,
            "trial_end": subscription.trial_end,
            # The account page in the reader's language (English lives under /en/).
            "account_url": settings.SITE_URL + reverse("subscriptions:account"),
        }
        subject = render_to_string(f"subscriptions/email/{kind}_subject.txt", context)
        body = render_to_string(f"subscriptions/email/{kind}_body.txt", context)
    return " ".join(subject.split()), body.strip() + "\n"


def _send(kind: str, subscription: Subscription, language: str | None) -> None:
    if not subscription.user.email:
        return
    subject, body = render_reminder(
        kind=kind, subscription=subscription, language=language or settings.LANGUAGE_CODE
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.user.email])


def send_renewal_reminders(*, now: datetime, language: str | None = None) -> int:
    """E-mail readers whose period renews within SUBSCRIPTION_REMINDER_DAYS, once per period."""
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
            _send("renewal_reminder", sub, language)
            sent += 1
    return sent


def send_trial_ending_notices(*, now: datetime, language: str | None = None) -> int:
    """E-mail readers whose trial ends within SUBSCRIPTION_REMINDER_DAYS (once per trial)."""
    soon = now + timedelta(days=settings.SUBSCRIPTION_REMINDER_DAYS)
    sent = 0
    for sub in Subscription.objects.select_related("user", "plan").filter(
        status=S.TRIALING, trial_reminder_sent=False, trial_end__gt=now, trial_end__lte=soon
    ):
        if Subscription.objects.filter(pk=sub.pk, trial_reminder_sent=False).update(
            trial_reminder_sent=True
        ):
            _send("trial_ending", sub, language)
            sent += 1
    return sent
