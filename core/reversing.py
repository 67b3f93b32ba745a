"""``reverse``, once per process for each address.

A reader page reverses the same few dozen addresses on every miss (each
teaser card its article's twice and its section's, the header and footer their
links), and Django's ``reverse`` costs about a tenth of a millisecond each.
``reverse_cached`` keeps the answer per view name, arguments and everything
else ``reverse`` reads: the active language and the default one (the default
language has no ``i18n_patterns`` prefix), the URLconf and the script prefix.
Arguments must be hashable (ids, slugs). A changed URL or language setting
(tests) empties it.
"""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

URL_SETTINGS = {"ROOT_URLCONF", "LANGUAGE_CODE", "LANGUAGES", "FORCE_SCRIPT_NAME"}

MAX_ADDRESSES = 4096


def address_key() -> tuple:
    """What an address depends on besides its name and arguments: the active
    and default languages, the URLconf and the script prefix. Reading them
    costs about 6 µs (three context-local reads): a template reads them once
    per render (``website.jinja2_backend``) and passes them to each ``url()``."""
    return (
        get_language(),
        settings.LANGUAGE_CODE,
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
    )


def reverse_cached(viewname: str, args=None, kwargs=None, *, key: tuple | None = None) -> str:
    """``reverse(viewname, args, kwargs)``, kept; ``key``: ``address_key()``
    read by the caller (read here without it)."""
    named = tuple(sorted((kwargs or {}).items()))
    return _reverse(viewname, tuple(args or ()), named, *(key or address_key()))


@functools.lru_cache(maxsize=MAX_ADDRESSES)
def _reverse(viewname, args, kwargs, language, default_language, urlconf, prefix) -> str:
    return reverse(viewname, args=args or None, kwargs=dict(kwargs) or None, urlconf=urlconf)


@receiver(setting_changed)
def _forget(*, setting, **kwargs) -> None:
    if setting in URL_SETTINGS:
        _reverse.cache_clear()
