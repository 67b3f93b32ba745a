"""Cookies and response headers: what production sends, and what the demo sends."""

import json
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """Headers and cookies from the real production settings (a child process, DEBUG=0)."""
    tmp = tmp_path_factory.mktemp("production")
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.production_probe"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "NEWSROOM_TESTING": "0",
            "DEBUG": "0",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "testserver",
            "NEWSROOM_VAR_DIR": str(tmp),
            "DATABASE_URL": f"sqlite:///{tmp / 'probe.sqlite3'}",
            "MEDIA_ROOT": str(tmp / "media"),
            "LOG_LEVEL": "ERROR",
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_httponly_and_samesite_lax(production):
    assert production["login_status"] == 302, "the probe's login did not go through"
    assert production["session_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    # The CSRF cookie is readable by design (no script reads it here, but Django's
    # documented AJAX pattern does); it must still be Secure and SameSite.
    assert production["csrf_cookie"]["secure"] is True
    assert production["csrf_cookie"]["samesite"] == "Lax"
    assert production["metered_status"] == 200
    assert production["meter_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_production_headers_protect_every_page(production):
    headers = {name.lower(): value for name, value in production["headers"].items()}
    hsts = headers["strict-transport-security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    assert "preload" in hsts
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "camera=()" in headers["permissions-policy"]


def test_production_redirects_plain_http_to_https_except_the_probe(production):
    assert production["plain_http"]["status"] == 301
    assert production["plain_http"]["location"].startswith("https://testserver/")
    # Load balancers probe /healthz over plain HTTP.
    assert production["healthz_over_http"] == 200


def test_demo_cookies_are_httponly_and_samesite_lax(client, site):
    from tests.factories import UserFactory

    UserFactory(username="kuki")
    page = client.get("/akun/masuk/")
    assert page.cookies[settings.CSRF_COOKIE_NAME]["samesite"] == "Lax"
    login = client.post("/akun/masuk/", {"username": "kuki", "password": "newsroom-test"})
    session = login.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    metered = client.__class__().get(site["articles"]["metered"].get_absolute_url())
    meter = metered.cookies[settings.PAYWALL_METER_COOKIE]
    assert meter["httponly"] is True
    assert meter["samesite"] == "Lax"
    # The meter cookie holds a signed id, never a count a reader could edit.
    assert ":" in meter.value
