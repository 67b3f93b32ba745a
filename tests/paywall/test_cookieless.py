"""Readers whose browser never returns the meter cookie: the rule option decides."""

import pytest

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def reason_of(response) -> str | None:
    html = response.content.decode()
    marker = 'data-paywall="'
    if marker not in html:
        return None
    return html.split(marker, 1)[1].split('"', 1)[0]


def read_without_cookie(client, article):
    client.cookies.clear()
    return client.get(article.get_absolute_url())


@pytest.fixture
def metered(db):
    return [ArticleFactory(access_level="metered") for _ in range(4)]


def test_free_lets_a_cookieless_client_read_everything(client, metered, settings):
    settings.PAYWALL_COOKIELESS = "free"
    for _ in range(3):
        for article in metered:
            assert reason_of(read_without_cookie(client, article)) is None


def test_network_limits_new_meter_ids_per_address_per_day(client, metered, settings):
    settings.PAYWALL_COOKIELESS = "network"
    settings.PAYWALL_NETWORK_NEW_METERS = 2
    outcomes = [reason_of(read_without_cookie(client, a)) for a in metered]
    assert outcomes == [None, None, "meter_exhausted", "meter_exhausted"]
    # Another network is not affected.
    client.cookies.clear()
    other = client.get(metered[0].get_absolute_url(), REMOTE_ADDR="10.9.8.7")
    assert reason_of(other) is None


def test_network_never_touches_a_reader_who_keeps_the_cookie(client, metered, settings):
    settings.PAYWALL_COOKIELESS = "network"
    settings.PAYWALL_NETWORK_NEW_METERS = 1
    reasons = [reason_of(client.get(a.get_absolute_url())) for a in metered]
    assert reasons == [None, None, None, "meter_exhausted"]  # the ordinary allowance of 3


def test_teaser_asks_for_the_cookie_first_then_counts_normally(client, metered, settings):
    settings.PAYWALL_COOKIELESS = "teaser"
    article = metered[0]
    first = client.get(article.get_absolute_url())
    assert reason_of(first) == "cookie_required"
    assert first["Cache-Control"].startswith("private")
    assert settings.PAYWALL_METER_COOKIE in first.cookies
    second = client.get(article.get_absolute_url())  # the client returned the cookie
    assert reason_of(second) is None
    assert 'data-meter-left="2"' in second.content.decode()
    assert reason_of(read_without_cookie(client, metered[1])) == "cookie_required"
