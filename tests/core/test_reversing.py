"""``reverse_cached`` answers what ``reverse`` answers, in every language and
whatever the default language was when an address was first asked for."""

from django.urls import clear_url_caches, reverse
from django.utils import translation

from core.reversing import reverse_cached


def test_each_language_gets_its_own_prefix():
    with translation.override("id"):
        assert reverse_cached("website:home") == reverse("website:home") == "/"
    with translation.override("en"):
        assert reverse_cached("website:home") == reverse("website:home") == "/en/"


def test_an_address_kept_while_english_was_the_default_is_not_served_after(settings):
    # While English is the default language its addresses have no prefix ...
    clear_url_caches()
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        assert reverse_cached("website:home") == "/"
    settings.LANGUAGE_CODE = "id"
    clear_url_caches()
    # ... and once Indonesian is the default again, English pages link to /en/.
    with translation.override("en"):
        assert reverse_cached("website:home") == reverse("website:home") == "/en/"
