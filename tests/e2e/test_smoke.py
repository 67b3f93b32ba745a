"""The demo as a first-time visitor meets it."""

import pytest

pytestmark = pytest.mark.e2e


def test_home_leads_to_a_readable_article(site, page, shot):
    page.goto(site.url + "/")
    assert page.locator('link[rel="alternate"][type="application/rss+xml"]').count() == 1
    shot(page, "home")
    page.locator("main a[href*='/20']").first.click()
    page.wait_for_selector("[data-article-body]")
    assert page.locator("h1").first.inner_text().strip()
    shot(page, "article")
