"""Open redirects: a ``next=`` from a link in an e-mail or another site never leaves this site."""

import pytest
from django.test import Client, RequestFactory

from core.redirects import safe_next_url
from tests.factories import UserFactory

from .conftest import crawl, reader_start_pages
from .html_checks import off_site

pytestmark = pytest.mark.django_db

HOSTILE_NEXT = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    " //evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://testserver@evil.example/",
    "https://testserver.evil.example/",
]


def _assert_stays(response, case):
    location = response.get("Location", "")
    assert response.status_code in (200, 302, 303), (case, response.status_code)
    assert not off_site(location), (case, location)
    assert "evil.example" not in location, (case, location)
    assert "javascript" not in location.lower(), (case, location)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_site(target):
    UserFactory(username="masuk")
    response = Client().post(
        "/akun/masuk/", {"username": "masuk", "password": "newsroom-test", "next": target}
    )
    assert response.status_code == 302
    _assert_stays(response, target)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_admin_login_never_redirects_off_site(target, superuser):
    response = Client().post(
        f"/admin/login/?next={target}",
        {"username": superuser.username, "password": "newsroom-test", "next": target},
    )
    assert response.status_code == 302
    _assert_stays(response, target)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_logout_never_redirects_off_site(target, reader):
    client = Client()
    client.force_login(reader)
    _assert_stays(client.post(f"/akun/keluar/?next={target}", {"next": target}), target)


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_signup_never_redirects_off_site(target):
    response = Client().post(
        "/akun/daftar/",
        {
            "username": "baru",
            "email": "baru@example.com",
            "password1": "sandi-yang-kuat-9",
            "password2": "sandi-yang-kuat-9",
            "next": target,
        },
    )
    assert response.status_code == 302
    _assert_stays(response, target)


def test_the_signup_page_does_not_carry_a_hostile_next_into_its_form():
    page = Client().get("/akun/daftar/", {"next": "https://evil.example/"})
    assert b"evil.example" not in page.content


@pytest.mark.parametrize("target", HOSTILE_NEXT[:6])
def test_plan_change_and_checkout_never_redirect_off_site(target, reader, plans):
    client = Client()
    client.force_login(reader)
    sub = reader.history["subscription"]
    changed = client.post(
        f"/akun/langganan/{sub.pk}/ganti-paket/?next={target}", {"plan": "premium", "next": target}
    )
    _assert_stays(changed, target)
    client.force_login(UserFactory(username="calon"))
    started = client.post(
        f"/langganan/beli/premium/?next={target}", {"billing_period": "month", "next": target}
    )
    _assert_stays(started, target)


def test_no_reader_page_follows_a_hostile_next(site, reader):
    """Any page, present or future, that redirects on ``next=`` keeps it on the site."""
    for user in (None, reader):
        client = Client()
        if user is not None:
            client.force_login(user)
        for path, response in crawl(client, start=reader_start_pages(site), limit=25):
            glue = "&" if "?" in path else "?"
            for probe in (response, client.get(f"{path}{glue}next=//evil.example")):
                assert probe.status_code < 500, path
                # (A login redirect may carry the hostile value on in its own
                # next=; the login view then refuses it, as tested above.)
                assert not off_site(probe.get("Location", "")), path


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_safe_next_url_falls_back_for_every_hostile_target(target):
    request = RequestFactory().get("/", {"next": target})
    assert safe_next_url(request, default="/akun/") == "/akun/"


def test_safe_next_url_keeps_a_local_path():
    request = RequestFactory().get("/", {"next": "/langganan/?dari=gerbang"})
    assert safe_next_url(request, default="/") == "/langganan/?dari=gerbang"
