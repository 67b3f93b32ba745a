"""The paywall's pages speak the reader's language: Indonesian at unprefixed
URLs, English under /en/ (a URL per language, so pages stay cacheable)."""

import pytest
from django.utils import translation

from tests.factories import ArticleFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize(
    ("path", "indonesian", "english"),
    [
        ("/langganan/", "Pilih paket Anda", "Choose your plan"),
        ("/akun/masuk/", "Lupa kata sandi?", "Forgot your password?"),
        ("/akun/daftar/", "Buat akun gratis", "Create a free account"),
        ("/akun/sandi/lupa/", "Kirim tautan", "Send the link"),
    ],
)
def test_public_paywall_pages_in_both_languages(client, path, indonesian, english):
    PlanFactory(code="premium", trial_days=7)
    page = _page(client, path)
    assert '<html lang="id"' in page
    assert indonesian in page
    assert english not in page

    page = _page(client, f"/en{path}")
    assert '<html lang="en"' in page
    assert english in page
    assert indonesian not in page


def test_plans_page_trial_line_is_translated(client):
    PlanFactory(code="premium", trial_days=7)
    assert "Uji coba gratis 7 hari" in _page(client, "/langganan/")
    assert "7-day free trial" in _page(client, "/en/langganan/")


def test_account_page_in_both_languages(client):
    client.force_login(UserFactory())
    page = _page(client, "/akun/")
    assert "Akun saya" in page
    assert "Riwayat pembayaran" in page
    page = _page(client, "/en/akun/")
    assert "My account" in page
    assert "Payment history" in page


def test_premium_gate_in_both_languages_links_stay_in_the_language(client):
    article = ArticleFactory(access_level="premium")
    with translation.override("id"):
        page = _page(client, article.get_absolute_url())
    assert "Ini artikel premium" in page
    assert "Sudah berlangganan?" in page
    assert 'href="/akun/masuk/?next=' in page
    assert "RAHASIA-PARAGRAF-TIGA" not in page

    with translation.override("en"):
        english_url = article.get_absolute_url()
    assert english_url.startswith("/en/")
    page = _page(client, english_url)
    assert "This is a premium article" in page
    assert 'href="/en/akun/masuk/?next=' in page
    assert "RAHASIA-PARAGRAF-TIGA" not in page


def test_meter_gate_in_indonesian(client, settings):
    settings.PAYWALL_METER_ANONYMOUS = 0
    article = ArticleFactory(access_level="metered")
    with translation.override("id"):
        page = _page(client, article.get_absolute_url())
    assert "Anda sudah membaca semua artikel gratis bulan ini" in page
    assert "RAHASIA-PARAGRAF-TIGA" not in page
