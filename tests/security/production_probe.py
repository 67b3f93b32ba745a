"""Run by ``test_cookies_and_headers`` in a child process under production settings.

Prints, as JSON, the headers and cookie attributes the real production
settings produce (``DEBUG=0``), over HTTPS as the proxy reports it and over
plain HTTP. Not a test module: it needs a fresh process for ``DEBUG=0``.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402


def _cookie(response, name):
    morsel = response.cookies.get(name)
    if morsel is None:
        return None
    return {
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "samesite": morsel["samesite"],
    }


def main() -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0, interactive=False)
    from tests.factories import ArticleFactory, UserFactory

    # No collectstatic here: pages must not need the manifest to show their headers.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        UserFactory(username="probe")
        article = ArticleFactory(access_level="metered")
        https = {"HTTP_X_FORWARDED_PROTO": "https", "secure": True}
        client = Client()
        login_page = client.get("/akun/masuk/", **https)
        logged_in = client.post(
            "/akun/masuk/",
            {
                "username": "probe",
                "password": "newsroom-test",
                "csrfmiddlewaretoken": login_page.cookies["csrftoken"].value,
            },
            **https,
        )
        metered = Client().get(article.get_absolute_url(), **https)
        plain = Client().get("/akun/masuk/")
        health = Client().get("/healthz")
    print(
        json.dumps(
            {
                "headers": dict(login_page.headers),
                "csrf_cookie": _cookie(login_page, settings.CSRF_COOKIE_NAME),
                "login_status": logged_in.status_code,
                "session_cookie": _cookie(logged_in, settings.SESSION_COOKIE_NAME),
                "meter_cookie": _cookie(metered, settings.PAYWALL_METER_COOKIE),
                "metered_status": metered.status_code,
                "plain_http": {"status": plain.status_code, "location": plain.get("Location")},
                "healthz_over_http": health.status_code,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
