"""Helpers the reader templates call (``website.jinja2env`` makes them globals
and filters): pictures, dates, language links, the shared blocks."""

import functools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import NoReverseMatch, translate_url
from django.utils import formats, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from articles.rendering import photo_figure_html, picture_html
from core.reversing import reverse_cached
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


def _datetime_text(local, language: str) -> str:
    # The hour and minute as numbers: ``strftime`` on an aware moment is slow.
    clock = f"{local.hour:02d}:{local.minute:02d}"
    return f"{_day_text(local.date(), language)} | {clock} {local.tzname()}"


# Django's localized date formatting is slow (translations looked up per
# name of a day and month); the cards of a list page name a few days, each
# at many different minutes, so the day is what is remembered. The language
# is in the key: ``date_format`` reads the active one.
@functools.lru_cache(maxsize=4096)
def _day_text(day, language: str) -> str:
    return formats.date_format(day, "l, j F Y")


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
    match = getattr(request, "resolver_match", None)
    names = {"id": "Bahasa Indonesia", "en": "English"}
    return [
        (code, names.get(code, code), _path_in(code, path, match), code == current)
        for code, _name in settings.LANGUAGES
    ]


def _path_in(language: str, path: str, match) -> str:
    """``translate_url(path, language)`` from the match the request already has:
    resolving the path again cost a page a tenth of a millisecond per language."""
    if match is None or not match.url_name:
        return translate_url(path, language)
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    with translation.override(language):
        try:
            return reverse_cached(name, args=match.args, kwargs=match.kwargs)
        except (NoReverseMatch, TypeError):  # TypeError: an unhashable argument
            return translate_url(path, language)


def follow_label(name):
    return _("Follow us on %(channel)s") % {"channel": name}
