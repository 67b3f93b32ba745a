"""The benchmark's nginx (the CDN stand-in) keeps readers apart as Django's cache
policy needs: no stored copy for a request carrying the session cookie or the
meter cookie (a reader who may be in an experiment's arm)."""

import re
from pathlib import Path
from string import Template

from django.conf import settings

CONF = Path(__file__).resolve().parents[2] / "bench" / "nginx.conf.in"


def _rendered() -> str:
    return Template(CONF.read_text()).substitute(
        prefix="/srv/bench-nginx", user_line="", nginx_port=8080, app_port=8000
    )


def _cookies_of(directive: str, conf: str) -> set[str]:
    (line,) = re.findall(rf"^\s*{directive}\s+([^;]+);", conf, flags=re.MULTILINE)
    return {word.removeprefix("$cookie_") for word in line.split()}


def test_requests_with_the_session_or_meter_cookie_neither_hit_nor_fill_the_cache():
    conf = _rendered()
    wanted = {settings.SESSION_COOKIE_NAME, settings.PAYWALL_METER_COOKIE}
    assert _cookies_of("proxy_cache_bypass", conf) >= wanted
    assert _cookies_of("proxy_no_cache", conf) >= wanted
