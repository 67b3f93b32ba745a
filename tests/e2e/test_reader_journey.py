"""A reader's whole journey: the meter, registration, premium, ads, cancelling."""

import uuid

import pytest

pytestmark = pytest.mark.e2e


def meter_left(page) -> str | None:
    notice = page.locator("[data-meter-left]")
    return notice.first.get_attribute("data-meter-left") if notice.count() else None


def test_reader_meets_the_meter_registers_subscribes_and_cancels(site, page, shot):
    metered = site.article_urls("metered", 5)
    # A whole demo story (the editor's journey publishes a three-paragraph one).
    premium = site.article_urls("premium", 1, paragraphs=4)[0]

    # An anonymous reader gets three free metered articles, told how many are left.
    for url, left in zip(metered[:3], ["2", "1", "0"], strict=True):
        page.goto(url)
        assert page.locator("[data-paywall]").count() == 0
        assert meter_left(page) == left
    shot(page, "last-free-article")

    # The fourth meets the gate, which offers registration.
    page.goto(metered[3])
    gate = page.locator("[data-paywall]")
    assert gate.get_attribute("data-paywall") == "meter_exhausted"
    shot(page, "gate")
    page.locator("[data-paywall] a[href*='/akun/daftar/']").first.click()

    # Registering brings the reader back with the reads carried over.
    username = f"pembaca{uuid.uuid4().hex[:6]}"
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.com")
    page.fill("#id_password1", "baca-terus-2026")
    page.fill("#id_password2", "baca-terus-2026")
    shot(page, "signup")
    page.locator("form[action*='/akun/daftar/'] button[type=submit]").click()
    page.goto(metered[3])
    assert page.locator("[data-paywall]").count() == 0
    left_after_signup = int(meter_left(page))
    page.goto(metered[0])  # already read this month: still readable, not counted again
    assert page.locator("[data-paywall]").count() == 0
    assert int(meter_left(page)) == left_after_signup
    shot(page, "registered-reader")

    # Premium is gated for a registered reader without a plan.
    page.goto(premium)
    assert page.locator("[data-paywall]").get_attribute("data-paywall") == "subscription_required"

    # Subscribe to premium through the demo provider.
    page.goto(site.url + "/langganan/")
    shot(page, "plans")
    page.locator("form[action*='/langganan/beli/premium/'] button[type=submit]").click()
    page.wait_for_url("**/langganan/demo-bayar/**")
    shot(page, "demo-checkout")
    page.locator("button[value=pay]").click()
    page.wait_for_url("**/akun/**")
    shot(page, "account-premium")

    # The premium article is read in full, and no ad slot shows anywhere.
    page.goto(premium)
    assert page.locator("[data-paywall]").count() == 0
    assert page.locator("[data-article-body] p").count() >= 4
    for url in (site.url + "/", premium, metered[4], site.url + "/rubrik/ekonomi/"):
        page.goto(url)
        assert page.locator("[data-ad-slot]").count() == 0, url
    shot(page, "premium-no-ads")

    # Cancel at period end: still a subscriber until the period ends.
    page.goto(site.url + "/akun/")
    page.locator("form[action*='/batal/'] button[type=submit]").click()
    page.goto(site.url + "/akun/")
    assert page.locator("form[action*='/lanjutkan/']").count() == 1
    shot(page, "canceled-at-period-end")
    page.goto(premium)
    assert page.locator("[data-paywall]").count() == 0
