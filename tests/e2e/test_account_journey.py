"""A subscriber cancels at period end on the account page, sees the date access
ends, and resumes. Screenshots of the account page (390 and 1280 wide) go to
docs/ under ``make screenshots`` (``DOCS_SCREENSHOTS=1``), else beside the
journey's other screenshots: they show the day's dates, so ``make e2e`` must not
rewrite the committed ones."""

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "baca-terus-2026"  # noqa: S105 - a test account
DOCS = Path(__file__).resolve().parents[2] / "docs"
WRITE_DOCS = os.environ.get("DOCS_SCREENSHOTS") == "1"
MONTHS = (
    "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
).split()


def _subscriber(site, page) -> str:
    """A reader who paid a year of Premium (past its trial), logged in."""
    username = f"langganan{uuid.uuid4().hex[:6]}"
    site.query(
        "from django.contrib.auth import get_user_model\n"
        "from django.utils import timezone\n"
        "from subscriptions.models import Plan\n"
        "from subscriptions.services.lifecycle import subscription_start\n"
        "from subscriptions.services.payments import payment_record\n"
        f"user = get_user_model().objects.create_user({username!r}, {username + '@example.com'!r},"
        f" {PASSWORD!r}, first_name='Sinta', last_name='Wulandari')\n"
        "plan = Plan.objects.get(code='premium')\n"
        "now = timezone.now()\n"
        "sub = subscription_start(user=user, plan=plan, billing_period='year', now=now,"
        " allow_trial=False, reason='e2e')\n"
        "payment_record(user=user, subscription=sub, amount=plan.price_yearly, provider='demo',"
        " provider_payment_id=f'e2e_{sub.pk}', status='succeeded', description=plan.name,"
        " now=now)\n"
    )
    page.goto(site.url + "/akun/masuk/?next=/akun/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action*='/akun/masuk/'] button[type=submit]").click()
    page.wait_for_url(site.url + "/akun/")
    return username


def _account_shots(page, name: str, folder: Path) -> None:
    """The account page as it is now, 390 px (a phone) and 1280 px wide, into
    docs/ (``make screenshots``) or ``folder``."""
    for width, height in ((390, 844), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        target = (DOCS if WRITE_DOCS else folder) / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_subscriber_cancels_at_period_end_sees_the_date_and_resumes(site, page, shot, tmp_path):
    _subscriber(site, page)
    state = page.locator("[data-account-state]")
    banner = page.locator("[data-status-banner]")
    expect(state).to_have_attribute("data-account-state", "active")
    expect(banner).to_contain_text("Pelanggan Premium")
    expect(banner).to_contain_text("per tahun")
    renews = banner.get_attribute("data-status-date")
    # The payment is listed: plan, rupiah, status.
    expect(page.locator(".payments tbody tr").first).to_contain_text("Premium")
    expect(page.locator(".payments tbody tr").first).to_contain_text("Rp650.000")
    expect(page.locator(".payments tbody tr").first).to_contain_text("Berhasil")
    _account_shots(page, "account", tmp_path)
    shot(page, "active")

    # Cancel at period end: the banner says so, with the date access ends.
    page.locator("form[action*='/batal/'] button[type=submit]").click()
    page.wait_for_url(site.url + "/akun/")
    expect(page.locator(".messages .success")).to_be_visible()
    expect(state).to_have_attribute("data-account-state", "canceling")
    expect(banner).to_have_attribute("data-status-date", renews)
    year, month, day = (int(part) for part in renews.split("-"))
    expect(banner).to_contain_text(f"sampai {day} {MONTHS[month - 1]} {year}")
    expect(page.locator("form[action*='/batal/']")).to_have_count(0)
    expect(page.locator("form[action*='/ganti-paket/']")).to_have_count(0)
    _account_shots(page, "account-canceled", tmp_path)
    shot(page, "canceled-at-period-end")

    # Still a subscriber until then: a premium article reads in full.
    premium = site.article_urls("premium", 1)[0]
    page.goto(premium)
    expect(page.locator("[data-paywall]")).to_have_count(0)

    # Changed their mind: resume, and the renewal is back.
    page.goto(site.url + "/akun/")
    page.locator("form[action*='/lanjutkan/'] button[type=submit]").click()
    page.wait_for_url(site.url + "/akun/")
    expect(state).to_have_attribute("data-account-state", "active")
    expect(banner).to_contain_text("Diperpanjang pada")
    expect(page.locator("form[action*='/batal/']")).to_have_count(1)
    shot(page, "resumed")
