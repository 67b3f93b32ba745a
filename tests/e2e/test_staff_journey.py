"""Subscription staff give a reader a free month, and the audit trail says so."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "newsroom-demo"  # noqa: S105 - the documented demo credential
READER_EMAIL = "reader@wartaniaga.example"
REASON = "Keluhan: artikel premium tidak bisa dibuka selama gangguan 3 hari"


def test_staff_find_a_reader_comp_a_month_and_the_audit_trail_shows_it(site, browser, page, shot):
    premium = site.article_urls("premium", 1)[0]

    # Subscription staff sign in to the admin and open the subscribers.
    page.goto(site.url + "/admin/")
    page.fill("#id_username", "subs")
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.locator("a[href$='/admin/subscriptions/subscriber/']").first.click()

    # They find the reader by e-mail.
    page.fill("#searchbar", READER_EMAIL)
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"\?q="))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(READER_EMAIL)
    shot(page, "found-reader")

    # Comp a plan: the action asks for a reason and refuses a blank one.
    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "comp")
    page.locator("#changelist-form button[name=index]").click()
    expect(page.locator("#content")).to_contain_text("reader")
    page.select_option("#id_plan", label="Premium")
    page.fill("#id_days", "30")
    page.fill("#id_reason", "   ")
    page.locator("#content form [type=submit]").click()
    expect(page.locator("#id_reason_error")).to_be_visible()  # the error sits on the reason
    expect(page.locator(".messagelist .success")).to_have_count(0)
    shot(page, "reason-required")
    page.select_option("#id_plan", label="Premium")
    page.fill("#id_reason", REASON)
    shot(page, "comp-form")
    page.locator("#content form [type=submit]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("1")
    expect(page.locator(".messagelist .error")).to_have_count(0)
    shot(page, "comped")

    # The reader's page shows the new subscription and the audit entry: what, why, who.
    page.locator("#result_list a", has_text="reader").first.click()
    expect(page.locator("#subscriptions-group")).to_contain_text("Premium")
    audit = page.locator("[id$='group']", has_text=REASON)
    expect(audit).to_have_count(1)
    entry = audit.locator("tr", has_text=REASON)
    expect(entry).to_contain_text("comp")
    expect(entry).to_contain_text("subs")
    entry.scroll_into_view_if_needed()
    shot(page, "reader-audit-inline")

    # The audit trail itself finds the entry by its reason.
    page.goto(site.url + "/admin/subscriptions/auditentry/")
    page.fill("#searchbar", "gangguan 3 hari")
    page.press("#searchbar", "Enter")
    entries = page.locator("#result_list tbody tr")
    expect(entries).to_have_count(1)
    for seen in ("reader", "comp", "staff", "subs", REASON):
        expect(entries.first).to_contain_text(seen)
    shot(page, "audit-trail")

    # And the reader, signing in on the site, reads a premium article in full.
    reader = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        site_page = reader.new_page()
        site_page.goto(site.url + "/akun/masuk/")
        site_page.fill("#id_username", "reader")
        site_page.fill("#id_password", PASSWORD)
        site_page.locator("main form [type=submit]").click()
        site_page.wait_for_url(lambda url: "/akun/masuk/" not in url)
        site_page.goto(premium)
        expect(site_page.locator("[data-article-body]")).to_be_visible()
        expect(site_page.locator("[data-paywall]")).to_have_count(0)
        shot(site_page, "reader-reads-premium")
    finally:
        reader.close()
