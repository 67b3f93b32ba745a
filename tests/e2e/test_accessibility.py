"""axe-core on every reader page type, the account pages and the editor's main
admin pages: no serious or critical violation. Plus keyboard-only checks of the
paywall gate and the account forms (login, sign-up, cancel).

axe runs in the page (axe-playwright-python ships axe-core; nothing is fetched).
Each page's full axe result is saved under ``test-artifacts/e2e/axe/`` so a
minor or moderate finding can be read too; only serious and critical fail.
"""

import json
import re
import uuid

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

PASSWORD = "newsroom-demo"  # noqa: S105 - the documented demo credential
FAILING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _check(axe, page, name: str) -> list[str]:
    """axe on the page as it is now: its serious and critical violations, one line each."""
    results = axe.run(page)
    folder = ARTIFACTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(results.response["violations"], indent=1))
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in FAILING:
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
            found.append(f"{name}: {violation['id']} ({violation['impact']}) at {targets}")
    return found


def _visit_all(axe, page, base: str, pages: dict[str, str]) -> list[str]:
    found = []
    for name, path in pages.items():
        response = page.goto(base + path)
        assert response.status < 400, (name, path, response.status)
        found += _check(axe, page, name)
    return found


def _reader_paths(site) -> dict[str, str]:
    """One page of each reader type, from the seeded site."""
    code = (
        "from articles.models import Author, Gallery, Section, Topic\n"
        "print(Section.objects.filter(articles__isnull=False).first().get_absolute_url())\n"
        "print(Topic.objects.filter(articles__isnull=False).first().get_absolute_url())\n"
        "print(Author.objects.filter(articles__isnull=False).first().get_absolute_url())\n"
        "g = Gallery.objects.filter(photos__isnull=False).first()\n"
        "print(g.get_absolute_url() if g else '')\n"
    )
    section, topic, author, gallery = site.query(code).splitlines()
    urls = {
        level: site.article_urls(level, 1)[0].removeprefix(site.url)
        for level in ("free", "metered", "registered", "premium")
    }
    pages = {
        "home": "/",
        "article-free": urls["free"],
        "article-metered": urls["metered"],
        "article-registered-gated": urls["registered"],
        "article-premium-gated": urls["premium"],
        "section": section,
        "topic": topic,
        "author": author,
        "search": "/search/?q=rupiah",
        "search-empty": "/search/",
        "page-about": "/halaman/tentang/",
        "page-contact": "/halaman/kontak/",
        "page-terms": "/halaman/syarat-langganan/",
        "login": "/akun/masuk/",
        "signup": "/akun/daftar/",
        "password-reset": "/akun/sandi/lupa/",
        "plans": "/langganan/",
        "home-en": "/en/",
    }
    if gallery:
        pages["gallery"] = gallery
    return pages


def _log_in(page, base: str, username: str) -> None:
    page.goto(base + "/akun/masuk/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("form[action*='/akun/masuk/'] button[type=submit]").click()


def _sign_up(page, base: str) -> None:
    username = f"axe{uuid.uuid4().hex[:6]}"
    page.goto(base + "/akun/daftar/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.com")
    page.fill("#id_password1", "periksa-dulu-2026")
    page.fill("#id_password2", "periksa-dulu-2026")
    page.locator("form[action*='/akun/daftar/'] button[type=submit]").click()
    page.wait_for_url(base + "/akun/")


def test_reader_pages_have_no_serious_or_critical_axe_violations(site, page, axe):
    found = _visit_all(axe, page, site.url, _reader_paths(site))
    # A form error is a state of its own: the login page after a wrong password.
    page.goto(site.url + "/akun/masuk/")
    page.fill("#id_username", "reader")
    page.fill("#id_password", "salah-sandi")
    page.locator("form[action*='/akun/masuk/'] button[type=submit]").click()
    expect(page.locator(".errorlist")).to_have_count(1)
    found += _check(axe, page, "login-error")
    page.goto(site.url + "/akun/daftar/")
    page.fill("#id_username", "x")
    page.fill("#id_email", "reader@wartaniaga.example")  # taken
    page.fill("#id_password1", "satu-sandi-2026")
    page.fill("#id_password2", "sandi-lain-2026")  # does not match
    page.locator("form[action*='/akun/daftar/'] button[type=submit]").click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()
    found += _check(axe, page, "signup-errors")
    # The password reset link from the e-mail, and the page it leads to.
    path = site.query(
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.tokens import default_token_generator as tokens\n"
        "from django.utils.http import urlsafe_base64_encode\n"
        "user = get_user_model().objects.get(username='reader')\n"
        "uid = urlsafe_base64_encode(str(user.pk).encode())\n"
        "print(f'/akun/sandi/atur/{uid}/{tokens.make_token(user)}/')"
    )
    page.goto(site.url + path)
    expect(page.locator("#id_new_password1")).to_be_visible()
    found += _check(axe, page, "password-reset-confirm")
    assert not found, "\n".join(found)


def test_account_pages_have_no_serious_or_critical_axe_violations(site, page, axe):
    # A subscriber's account, a registered reader's plans and checkout.
    _log_in(page, site.url, "premium")
    found = _visit_all(
        axe,
        page,
        site.url,
        {
            "account-subscriber": "/akun/",
            "article-premium-subscriber": site.article_urls("premium", 1)[0].removeprefix(site.url),
        },
    )
    page.context.clear_cookies()
    _sign_up(page, site.url)  # a reader of its own: other journeys change the demo's
    found += _visit_all(
        axe, page, site.url, {"account-free": "/akun/", "plans-reader": "/langganan/"}
    )
    page.locator("form[action*='/langganan/beli/premium/'] button[type=submit]").click()
    page.wait_for_url("**/langganan/demo-bayar/**")
    found += _check(axe, page, "checkout")
    assert not found, "\n".join(found)


def test_editor_admin_pages_have_no_serious_or_critical_axe_violations(site, page, axe):
    page.goto(site.url + "/admin/login/")
    found = _check(axe, page, "admin-login")
    page.fill("#id_username", "chief")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    found += _visit_all(
        axe,
        page,
        site.url,
        {
            "admin-index": "/admin/",
            "admin-article-list": "/admin/articles/article/",
            "admin-photo-list": "/admin/articles/photo/",
        },
    )
    page.goto(site.url + "/admin/articles/article/")
    with page.expect_navigation():
        page.locator("#result_list tbody tr th a").first.click()
    expect(page.locator("#article_form")).to_be_visible()
    # The body editor's greyed-out buttons (undo with nothing to undo) say so.
    greyed = page.locator(".prose-menubar__button.disabled:not(.active)")
    expect(greyed.first).to_have_attribute("aria-disabled", "true")
    found += _check(axe, page, "admin-article-change")
    assert not found, "\n".join(found)


# --- Keyboard only ------------------------------------------------------------


def _tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (fail after ``limit``)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    focused = page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    raise AssertionError(f"Tab never reached {selector}; focus is on {focused}")


def _type_into(page, selector: str, text: str) -> None:
    _tab_to(page, selector)
    page.keyboard.type(text)


def test_the_gate_is_reached_and_followed_with_the_keyboard(site, page):
    premium = site.article_urls("premium", 1)[0]
    page.goto(premium)
    expect(page.locator("[data-paywall]")).to_have_attribute("data-paywall", "premium_login")
    # Subscribe: Tab to the gate's first action, Enter follows it.
    _tab_to(page, "[data-paywall] a.button")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/langganan/\?from="))
    expect(page.locator("h1")).to_have_text("Pilih paket Anda")
    # Back on the article, the gate's login link works the same way.
    page.goto(premium)
    _tab_to(page, "[data-paywall] a[href*='/akun/masuk/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/akun/masuk/\?next="))


def test_sign_up_log_in_and_cancel_with_the_keyboard_only(site, page):
    username = f"papan{uuid.uuid4().hex[:6]}"
    password = "ketik-saja-2026"  # noqa: S105 - a test account
    page.goto(site.url + "/akun/daftar/")
    _type_into(page, "#id_username", username)
    _type_into(page, "#id_email", f"{username}@example.com")
    _type_into(page, "#id_password1", password)
    _type_into(page, "#id_password2", password)
    _tab_to(page, "form[action*='/akun/daftar/'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(site.url + "/akun/")
    expect(page.locator("[data-account-state]")).to_have_attribute("data-account-state", "free")

    # Subscribe with the keyboard (plans -> demo checkout -> pay).
    page.goto(site.url + "/langganan/")
    _tab_to(page, "form[action*='/langganan/beli/premium/'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/langganan/demo-bayar/**")
    _tab_to(page, "button[value=pay]")
    page.keyboard.press("Enter")
    page.wait_for_url(site.url + "/akun/")
    expect(page.locator("[data-account-state]")).to_have_attribute("data-account-state", "trial")

    # Log out and back in, by keyboard.
    # Wait for the log-out's own navigation: a goto issued while it is still
    # in flight is aborted by it (net::ERR_ABORTED).
    _tab_to(page, "form[action*='/akun/keluar/'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(site.url + "/akun/masuk/?next=/akun/")
    _type_into(page, "#id_username", username)
    _type_into(page, "#id_password", password)
    page.keyboard.press("Enter")  # Enter in a field submits the form
    page.wait_for_url(site.url + "/akun/")

    # Cancel at period end, by keyboard: Tab to the button, Enter.
    _tab_to(page, "form[action*='/batal/'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("[data-account-state]")).to_have_attribute(
        "data-account-state", "canceling"
    )
    # The focused button shows the focus ring.
    _tab_to(page, "form[action*='/lanjutkan/'] button")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
