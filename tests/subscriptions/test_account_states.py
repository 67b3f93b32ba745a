"""The account page in each subscription state: the banner (what happens next, and
when) and the actions that fit, as a reader sees them (Indonesian site)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import formats, timezone

from subscriptions.models import Payment, Subscription
from tests.factories import SubscriptionFactory, UserFactory

S = Subscription.Status
pytestmark = pytest.mark.django_db


def _day(value) -> str:
    return formats.date_format(timezone.localtime(value), "j F Y")


def _account(client, user) -> str:
    client.force_login(user)
    response = client.get("/akun/")
    assert response.status_code == 200
    return response.content.decode()


def _banner(html: str) -> str:
    match = re.search(r"<div class=\"status-banner tone-(\w+)\"[^>]*>(.*?)</div>", html, re.S)
    assert match, "no status banner"
    return (
        match.group(1) + ": " + re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()
    )


def _actions(html: str, sub) -> set[str]:
    found = set()
    for name, path in [
        ("cancel", f"/akun/langganan/{sub.pk}/batal/"),
        ("resume", f"/akun/langganan/{sub.pk}/lanjutkan/"),
        ("change", f"/akun/langganan/{sub.pk}/ganti-paket/"),
    ]:
        if f'action="{path}"' in html:
            found.add(name)
    if 'class="button" href="/langganan/"' in html:
        found.add("plans")
    return found


def test_trial_says_when_it_ends_and_what_is_charged_then(client, plans):
    trial_end = timezone.now() + timedelta(days=5)
    sub = SubscriptionFactory(
        plan=plans["premium"], status=S.TRIALING, trial_end=trial_end, current_period_end=trial_end
    )
    html = _account(client, sub.user)
    assert 'data-account-state="trial"' in html
    assert _banner(html) == (
        "info: Uji coba gratis Premium "
        f"Uji coba Anda berakhir pada {_day(trial_end)}; setelah itu ditagih Rp65.000 per bulan."
    )
    assert _actions(html, sub) == {"cancel", "change"}


def test_active_says_when_it_renews_and_for_how_much(client, plans):
    sub = SubscriptionFactory(plan=plans["premium"], billing_period="year")
    html = _account(client, sub.user)
    assert 'data-account-state="active"' in html
    assert _banner(html) == (
        "ok: Pelanggan Premium "
        f"Diperpanjang pada {_day(sub.current_period_end)} seharga Rp650.000 per tahun."
    )
    assert _actions(html, sub) == {"cancel", "change"}


def test_past_due_warns_with_the_end_of_grace(client, plans):
    now = timezone.now()
    sub = SubscriptionFactory(
        plan=plans["premium"],
        status=S.PAST_DUE,
        current_period_end=now - timedelta(days=1),
        grace_until=now + timedelta(days=6),
    )
    html = _account(client, sub.user)
    assert 'data-account-state="past_due"' in html
    assert _banner(html) == (
        "danger: Pembayaran terakhir Anda gagal Akses Anda tetap berlaku selama kami "
        "mencoba lagi pembayarannya. Jika belum berhasil sampai "
        f"{_day(sub.grace_until)}, langganan Anda berakhir."
    )
    # No plan change while a payment is owed; cancelling stays possible.
    assert _actions(html, sub) == {"cancel"}


def test_cancelled_at_period_end_shows_the_date_and_offers_resume(client, plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    client.force_login(sub.user)
    client.post(f"/akun/langganan/{sub.pk}/batal/")
    html = client.get("/akun/").content.decode()
    assert 'data-account-state="canceling"' in html
    assert f'data-status-date="{timezone.localtime(sub.current_period_end):%Y-%m-%d}"' in html
    assert _banner(html) == (
        "warning: Langganan Premium Anda dibatalkan Akses Anda tetap berlaku sampai "
        f"{_day(sub.current_period_end)}; tidak ada tagihan lagi. Berubah pikiran? "
        "Lanjutkan sebelum tanggal itu."
    )
    assert _actions(html, sub) == {"resume"}
    assert "Langganan Anda akan berakhir pada akhir periode yang sudah dibayar." in html


def test_expired_says_when_access_ended_and_offers_to_subscribe_again(client, plans):
    now = timezone.now()
    sub = SubscriptionFactory(
        plan=plans["premium"],
        status=S.EXPIRED,
        current_period_start=now - timedelta(days=40),
        current_period_end=now - timedelta(days=10),
    )
    html = _account(client, sub.user)
    assert 'data-account-state="expired"' in html
    assert 'data-account-status="none"' in html  # nothing grants access now
    assert _banner(html) == (
        "danger: Langganan Premium Anda sudah berakhir "
        f"Akses berakhir pada {_day(sub.current_period_end)}. "
        "Berlangganan lagi untuk membaca semua artikel."
    )
    assert _actions(html, sub) == {"plans"}
    assert "Berlangganan lagi</a>" in html


def test_past_due_after_grace_reads_as_expired_on_the_last_day_of_grace(client, plans):
    now = timezone.now()
    sub = SubscriptionFactory(
        plan=plans["premium"],
        status=S.PAST_DUE,
        current_period_end=now - timedelta(days=9),
        grace_until=now - timedelta(days=2),
    )
    html = _account(client, sub.user)
    assert 'data-account-state="expired"' in html
    assert f"Akses berakhir pada {_day(sub.grace_until)}." in html
    assert _actions(html, sub) == {"plans"}


def test_free_account_shows_the_meter_and_the_plans(client, plans):
    user = UserFactory()
    html = _account(client, user)
    assert 'data-account-state="free"' in html
    assert _banner(html).startswith("info: Akun gratis")
    assert "data-meter-left=" in html
    assert 'class="button" href="/langganan/"' in html


def test_a_gift_shows_its_state_but_no_reader_actions(client, plans):
    sub = SubscriptionFactory(plan=plans["premium"], provider="comp")
    html = _account(client, sub.user)
    assert 'data-account-state="active"' in html
    assert _actions(html, sub) == set()


def test_payments_are_listed_with_date_plan_rupiah_and_status(client, plans):
    sub = SubscriptionFactory(plan=plans["premium"])
    paid = Payment.objects.create(
        user=sub.user,
        subscription=sub,
        amount=65_000,
        status="succeeded",
        provider_payment_id="p1",
        description="Premium, Januari",
    )
    Payment.objects.create(
        user=sub.user,
        subscription=sub,
        kind="refund",
        amount=65_000,
        status="refunded",
        provider_payment_id="r1",
        refund_of=paid,
    )
    Payment.objects.create(
        user=sub.user, amount=25_000, status="failed", provider_payment_id="f1", description="X"
    )
    html = _account(client, sub.user)
    rows = [
        re.sub(r"\|+", "|", re.sub(r"<[^>]+>", "|", row)).strip("|")
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
    ]
    day = formats.date_format(timezone.localtime(paid.created_at), "j M Y")
    assert rows == [
        "Tanggal|Paket|Jumlah|Status",
        f"{day}|X|Rp25.000|Gagal",
        f"{day}|Premium|−Rp65.000|Dana dikembalikan",
        f"{day}|Premium|Premium, Januari|Rp65.000|Berhasil",
    ]


def test_dates_are_jakarta_days_whatever_the_time_of_day_in_utc(client, plans):
    """20:30 UTC is already the next day in Jakarta: the page names that day."""
    late_evening_utc = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)
    sub = SubscriptionFactory(plan=plans["premium"], current_period_end=late_evening_utc)
    Payment.objects.create(
        user=sub.user,
        subscription=sub,
        amount=65_000,
        status="succeeded",
        provider_payment_id="tz1",
        created_at=late_evening_utc,
    )

    html = _account(client, sub.user)

    assert 'data-status-date="2026-03-02"' in html
    assert "<td>2 Mar 2026</td>" in html
    assert "1 Mar 2026" not in html
