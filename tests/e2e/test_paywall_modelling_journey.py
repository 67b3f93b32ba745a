"""Paywall modelling, end to end: staff change the meter, a new reader meets the new
rule, the revenue desk's timeline records it, and an experiment shows its arms."""

import time
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "newsroom-demo"  # noqa: S105 - the documented demo credential
WHY = "Uji coba: lima artikel gratis untuk pembaca anonim"
HYPOTHESIS = "Lima artikel gratis menambah pendaftaran dibanding empat"


def sign_in_to_admin(page, site, username: str) -> None:
    page.goto(site.url + "/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_be_visible()


def meter_left(page) -> str | None:
    notice = page.locator("[data-meter-left]")
    return notice.first.get_attribute("data-meter-left") if notice.count() else None


def save_rules_version(page, site, *, anonymous: int, why: str, days_ahead: int = 0):
    """The admin's two steps: show the expected effect, then save exactly that."""
    page.goto(site.url + "/admin/paywall/ruleset/add/")
    page.fill("#id_anonymous_allowance", str(anonymous))
    page.fill("#id_why", why)
    if days_ahead:
        field = page.locator("#id_effective_from_0")
        shown = field.input_value()
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
            try:
                day = datetime.strptime(shown, pattern).date()  # noqa: DTZ007 - a date only
            except ValueError:
                continue
            field.fill((day + timedelta(days=days_ahead)).strftime(pattern))
            break
    page.locator("input[name=_preview]").click()
    save = page.locator("input[name=_save]")
    expect(save).to_be_visible()  # the what-if was shown for these very values
    return save


def test_staff_raise_the_meter_a_reader_gets_it_the_desk_shows_it_and_an_experiment_runs(
    site, browser, page, shot, request
):
    # The session's site is shared: give the next journeys the default rules back.
    request.addfinalizer(lambda: _back_to_default_rules(site))
    metered = site.article_urls("metered", 6)
    assert len(metered) == 6

    # 1. Subscription staff raise the anonymous allowance from 3 to 5.
    sign_in_to_admin(page, site, "subs")
    page.goto(site.url + "/admin/paywall/ruleset/add/")
    expect(page.locator("#id_anonymous_allowance")).to_have_value("3")
    save = save_rules_version(page, site, anonymous=5, why=WHY)
    expect(page.locator("#content")).to_contain_text("5")  # the what-if's proposed allowance
    shot(page, "rules-what-if")
    save.click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#result_list")).to_contain_text(WHY[:20])
    shot(page, "rules-saved")

    # 2. A new anonymous reader (a fresh browser) gets exactly five metered articles...
    reader = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    try:
        article = reader.new_page()
        for url, left in zip(metered[:5], ["4", "3", "2", "1", "0"], strict=True):
            article.goto(url)
            assert article.locator("[data-paywall]").count() == 0, url
            assert meter_left(article) == left, url
        shot(article, "fifth-free-article")
        # ... and the sixth is gated: the meter is exhausted.
        article.goto(metered[5])
        expect(article.locator("[data-paywall]")).to_have_attribute(
            "data-paywall", "meter_exhausted"
        )
        shot(article, "sixth-gated")
    finally:
        reader.close()

    # 3. The revenue desk's timeline shows the change: who, why, the allowances.
    page.goto(site.url + "/admin/revenue/timeline/")
    changes = page.locator("#table-changes")
    expect(changes).to_contain_text(WHY)
    row = changes.locator("tr", has_text=WHY)
    expect(row).to_contain_text("Tika Rahmawati")  # the `subs` account
    expect(row).to_contain_text("anonim 5")
    shot(page, "desk-timeline")

    # 4. Staff start an experiment: the new meter against a stricter one (a version
    # scheduled for next week, so it is in force for nobody yet) ...
    save_rules_version(page, site, anonymous=4, why="Kandidat: empat artikel", days_ahead=7).click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.goto(site.url + "/admin/paywall/experiment/add/")
    page.fill("#id_name", "Meteran: lima atau empat")
    page.fill("#id_hypothesis", HYPOTHESIS)
    for index, (key, label, version, share) in enumerate(
        [("a", "Lima", "v1", "50"), ("b", "Empat", "v2", "50")]
    ):
        page.fill(f"#id_arms-{index}-key", key)
        page.fill(f"#id_arms-{index}-label", label)
        page.select_option(f"#id_arms-{index}-ruleset", label=version)
        page.fill(f"#id_arms-{index}-weight", share)
    shot(page, "experiment-form")
    page.locator("#experiment_form input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    actions = page.locator("#experiment-actions")
    actions.locator("input[name=why]").first.fill(HYPOTHESIS)
    actions.locator("input[type=submit]").first.click()
    expect(page.locator(".messagelist .success")).to_be_visible()

    # ... and its arms show in the results, each with its rules version and share.
    results = page.locator("#experiment-results")
    for key, version in (("a", "v1"), ("b", "v2")):
        arm = results.locator(f"tr[data-arm={key}]")
        expect(arm).to_contain_text(version)
        expect(arm).to_contain_text("50%")
    expect(page.locator("#experiment-trail")).to_contain_text(HYPOTHESIS)
    shot(page, "experiment-running")

    # The desk's timeline has the experiment too.
    page.goto(site.url + "/admin/revenue/timeline/")
    expect(page.locator("#table-changes")).to_contain_text("Meteran: lima atau empat")


def _back_to_default_rules(site) -> None:
    site.query(
        "from paywall.models import Experiment, RuleSet; from paywall.rules import forget_rules; "
        "Experiment.objects.all().delete(); RuleSet.objects.all().delete(); forget_rules()"
    )
    time.sleep(1.5)  # each process keeps the rules for up to a second
