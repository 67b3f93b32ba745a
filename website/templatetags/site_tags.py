"""Template helpers for the reader site: pictures, dates, language links."""

from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import formats
from django.utils.translation import gettext as _

from articles.rendering import photo_figure_html, picture_html
from website import pageblocks

register = template.Library()

NEWSROOM_TZ = ZoneInfo("Asia/Jakarta")


@register.simple_tag
def picture(photo, sizes="(min-width: 1024px) 760px, 100vw", eager=False, max_width=960, css=""):
    """``{% picture article.lead_photo sizes="…" eager=True %}``"""
    return picture_html(photo, sizes=sizes, eager=eager, max_width=max_width, css_class=css)


@register.simple_tag
def figure(photo, caption=None, eager=False):
    return photo_figure_html(photo, caption=caption, eager=eager) if photo else ""


@register.filter
def newsroom_datetime(value):
    """``Kamis, 20 Juni 2024 | 14:05 WIB`` (in the page's language), in Jakarta time."""
    if not value:
        return ""
    local = value.astimezone(NEWSROOM_TZ)
    day = formats.date_format(local, "l, j F Y")
    return f"{day} | {local:%H:%M} {local.tzname()}"


@register.filter
def newsroom_date(value):
    if not value:
        return ""
    return formats.date_format(value.astimezone(NEWSROOM_TZ), "j F Y")


@register.filter
def iso(value):
    return value.isoformat() if value else ""


@register.simple_tag(takes_context=True)
def shared_blocks(context):
    """The menu, hot topics and galleries (from the view, else the shared cache)."""
    return context.get("shared") or pageblocks.shared_blocks()


@register.simple_tag(takes_context=True)
def language_links(context):
    """``[(code, name, url, current)]`` for the language switcher (path only)."""
    request = context.get("request")
    current = context.get("LANGUAGE_CODE") or settings.LANGUAGE_CODE
    path = request.path if request is not None else "/"
    names = {"id": "Bahasa Indonesia", "en": "English"}
    return [
        (code, names.get(code, code), translate_url(path, code), code == current)
        for code, _name in settings.LANGUAGES
    ]


@register.simple_tag
def follow_label(name):
    return _("Follow us on %(channel)s") % {"channel": name}
