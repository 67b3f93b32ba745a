"""Helpers the reader templates call (``website.jinja2env`` makes them globals
and filters): pictures, dates, language links, the shared blocks."""

import functools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, translate_url
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from articles.rendering import photo_figure_html, picture_html
from core.reversing import URL_SETTINGS
from website import pageblocks

NEWSROOM_TZ = ZoneInfo("Asia/Jakarta")


def picture(photo, sizes="(min-width: 1024px) 760px, 100vw", eager=False, max_width=960, css=""):
    """``picture(article.lead_photo, sizes="…", eager=True)``"""
    return picture_html(photo, sizes=sizes, eager=eager, max_width=max_width, css_class=css)


def figure(photo, caption=None, eager=False):
    return photo_figure_html(photo, caption=caption, eager=eager) if photo else ""


def newsroom_datetime(value):
    """``Kamis, 20 Juni 2024 | 14:05 WIB`` (in the page's language), in Jakarta time."""
    if not value:
        return ""
    local = value.astimezone(NEWSROOM_TZ).replace(second=0, microsecond=0)
    return _datetime_text(local, get_language())


def newsroom_date(value):
    if not value:
        return ""
    return _date_text(value.astimezone(NEWSROOM_TZ).date(), get_language())


# Django's localized date formatting is slow (translations looked up per
# name of a day and month); a page shows the same few dates on many cards.
# The language is in the key: ``date_format`` reads the active one.
@functools.lru_cache(maxsize=4096)
def _datetime_text(local, language: str) -> str:
    day = formats.date_format(local, "l, j F Y")
    return f"{day} | {local:%H:%M} {local.tzname()}"


@functools.lru_cache(maxsize=4096)
def _date_text(day, language: str) -> str:
    return formats.date_format(day, "j F Y")


def iso(value):
    return value.isoformat() if value else ""


def shared_blocks_or(shared=None) -> dict:
    """The menu, hot topics and galleries (from the view, else the shared cache)."""
    return shared or pageblocks.shared_blocks()


def links_for(request, current=None) -> list[tuple]:
    """``[(code, name, url, current)]`` for the language switcher (path only)."""
    current = current or settings.LANGUAGE_CODE
    path = request.path if request else "/"
    names = {"id": "Bahasa Indonesia", "en": "English"}
    return [
        (code, names.get(code, code), _translated(path, code, *_url_context()), code == current)
        for code, _name in settings.LANGUAGES
    ]


def _url_context() -> tuple:
    return get_language(), get_urlconf(), get_script_prefix()


# ``translate_url`` resolves the path and reverses it in the other language on
# every page; the answer depends only on these inputs (the active language
# decides how the path resolves). Bounded: paths come from requests.
@functools.lru_cache(maxsize=2048)
def _translated(path: str, code: str, language, urlconf, prefix) -> str:
    return translate_url(path, code)


@receiver(setting_changed)
def _forget_translated(*, setting, **kwargs) -> None:
    if setting in URL_SETTINGS:
        _translated.cache_clear()


def follow_label(name):
    return _("Follow us on %(channel)s") % {"channel": name}
