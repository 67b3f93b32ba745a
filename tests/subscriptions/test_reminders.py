"""Reminder e-mails: texts from templates, in the reader's language, each sent once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.formats import date_format

from subscriptions import tasks
from subscriptions.models import Subscription
from subscriptions.services import reminders
from tests.factories import SubscriptionFactory, UserFactory

S = Subscription.Status
pytestmark = pytest.mark.django_db


def _day(moment, language: str) -> str:
    with translation.override(language):
        return date_format(timezone.localtime(moment), "j F Y")


@pytest.fixture
def renewing(plans):
    user = UserFactory(first_name="Dewi", last_name="", email="dewi@pembaca.test")
    return SubscriptionFactory(
        user=user, plan=plans["premium"], current_period_end=timezone.now() + timedelta(days=2)
    )


@pytest.fixture
def trialing(plans):
    return SubscriptionFactory(
        plan=plans["adfree"], status=S.TRIALING, trial_end=timezone.now() + timedelta(days=1)
    )


def test_renewal_reminder_is_in_indonesian_by_default(renewing, settings):
    assert reminders.send_renewal_reminders(now=timezone.now()) == 1
    (message,) = mail.outbox
    assert message.to == ["dewi@pembaca.test"]
    assert message.subject == f"{settings.SITE_NAME}: langganan Premium Anda segera diperpanjang"
    assert "Halo Dewi," in message.body
    day = _day(renewing.current_period_end, "id")
    assert f"Langganan Premium Anda akan diperpanjang pada {day}." in message.body
    assert f"{settings.SITE_URL}/akun/" in message.body
    assert "renews" not in message.body
    assert "&" not in message.body  # plain text: nothing HTML-escaped


def test_renewal_reminder_in_english_for_an_english_reader(renewing, settings):
    assert reminders.send_renewal_reminders(now=timezone.now(), language="en") == 1
    (message,) = mail.outbox
    assert message.subject == f"{settings.SITE_NAME}: your Premium subscription renews soon"
    assert "Hello Dewi," in message.body
    day = _day(renewing.current_period_end, "en")
    assert f"Your Premium subscription renews on {day}." in message.body
    assert f"{settings.SITE_URL}/en/akun/" in message.body
    assert "Langganan" not in message.body
    # Rendering in English leaves the caller's language alone.
    assert translation.get_language() == settings.LANGUAGE_CODE


def test_trial_ending_notice_in_both_languages(trialing):
    day_id, day_en = _day(trialing.trial_end, "id"), _day(trialing.trial_end, "en")
    subject, body = reminders.render_reminder(
        kind="trial_ending", subscription=trialing, language="id"
    )
    assert "masa uji coba Bebas Iklan Anda segera berakhir" in subject
    assert f"Masa uji coba gratis Bebas Iklan Anda berakhir pada {day_id}." in body
    subject, body = reminders.render_reminder(
        kind="trial_ending", subscription=trialing, language="en"
    )
    assert "your Bebas Iklan free trial ends soon" in subject
    assert f"Your free Bebas Iklan trial ends on {day_en}." in body


def test_no_address_no_mail_but_still_marked_once(plans):
    sub = SubscriptionFactory(
        user=UserFactory(email=""),
        plan=plans["premium"],
        current_period_end=timezone.now() + timedelta(days=1),
    )
    assert reminders.send_renewal_reminders(now=timezone.now()) == 1
    assert mail.outbox == []
    sub.refresh_from_db()
    assert sub.renewal_reminder_for == sub.current_period_end
    assert reminders.send_renewal_reminders(now=timezone.now()) == 0


@pytest.mark.parametrize(
    ("task", "module", "service"),
    [
        ("renew_due", "renewals", "renew_due"),
        ("expire_lapsed", "renewals", "expire_lapsed"),
        ("send_renewal_reminders", "reminders", "send_renewal_reminders"),
        ("send_trial_ending_notices", "reminders", "send_trial_ending_notices"),
    ],
)
def test_each_task_only_hands_over_to_its_service(monkeypatch, task, module, service):
    calls = []
    monkeypatch.setattr(getattr(tasks, module), service, lambda **kwargs: calls.append(kwargs) or 7)
    assert getattr(tasks, task)() == 7
    assert list(calls[0]) == ["now"]
