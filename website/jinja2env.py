"""The Jinja2 environment of the reader's templates (``jinja2/`` and ``<app>/jinja2/``).

Django's built-in Jinja2 backend renders the reader site; the admin and the
e-mail texts stay on Django templates (the second backend in ``TEMPLATES``).
What the Django templates had as tags and filters is here as globals and
filters, each calling the same function the tag called:

- ``url(name, *args)``, ``static(path)``, ``csrf_input`` (from the backend);
- ``_()``/``gettext()``/``ngettext()`` with Django's translations, as Jinja's
  i18n extension's new-style calls (``_("Page %(n)s", n=page.number)``): as
  with ``{% translate %}``, the message (ours, from the .po files) is trusted
  and the values filled into it are escaped (``gettext``/``ngettext`` below:
  the extension's own callables went through three context calls each, 5 µs
  a message and 30-37 messages a page);
- ``picture``, ``figure``, ``language_links``, ``follow_label`` and the date
  filters of ``website.templatetags.site_tags``; ``site_chrome`` (the menu and
  sidebar fragments of ``website.fragments``);
  ``idr`` of ``subscriptions.templatetags.money``; Django's ``date`` (in the
  current time zone, as Django's templates apply it) and ``urlencode``;
  ``default`` with Django's meaning (any false value).

Autoescaping is on (the backend's default, never turned off here): a value is
escaped unless it is ``Markup`` or Django's ``SafeString`` (article bodies,
already sanitized, and the photo markup built with ``format_html``).
"""

from datetime import datetime

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template import defaultfilters
from django.utils import dateformat, timezone, translation
from django.utils.translation import trans_real
from markupsafe import Markup

from core.reversing import address_key, reverse_cached
from jinja2 import Environment, Undefined, pass_context
from subscriptions.templatetags.money import idr
from website import fragments
from website.templatetags import site_tags


@pass_context
def url(context, name: str, *args, **kwargs) -> str:
    """``{% url name arg %}`` (reversed once per process: ``core.reversing``),
    under the language, URLconf and prefix the render read once
    (``ADDRESS_KEY``; read here where a template has none: a macro imported
    without context)."""
    return reverse_cached(name, args=args, kwargs=kwargs, key=context.get(ADDRESS_KEY))


# What each render reads once (``render_reads``; ``website.jinja2_backend``):
# ``core.reversing.address_key()`` for ``url()``, and the active language's
# catalog for ``gettext`` (each a context-local read of about 2 µs, against
# 20-30 addresses and 30-40 messages a page).
ADDRESS_KEY = "_address_key"
CATALOG_KEY = "_catalog"


def render_reads() -> dict:
    """``ADDRESS_KEY`` and ``CATALOG_KEY`` as they are now: the translation
    object ``translation.gettext`` would use (the one ``activate`` made for
    the active language), None where there is none (i18n off, or
    ``deactivate_all``): ``gettext`` then asks Django each time."""
    key = address_key()
    language = key[0]
    catalog = trans_real.translation(language) if settings.USE_I18N and language else None
    return {ADDRESS_KEY: key, CATALOG_KEY: catalog}


def current_year() -> str:
    """``{% now "Y" %}``."""
    return dateformat.format(timezone.localtime(), "Y")


def date(value, arg=None):
    """Django's ``date`` as a Django template applies it: an aware datetime in
    the current time zone first (Django's filter ``expects_localtime``; Jinja
    does not convert, and the account page showed UTC days, a day early
    before 07:00 in Jakarta)."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return defaultfilters.date(value, arg)


def default(value, fallback=""):
    """Django's ``default``: the fallback for any false value, not only undefined."""
    return value or fallback


@pass_context
def gettext(context, message: str, **variables) -> Markup:
    """``_()``/``gettext()`` in a template: the message in the active language
    (from the render's ``CATALOG_KEY``, as ``translation.gettext`` reads it),
    trusted, with ``variables`` escaped into it. What the i18n extension's
    new-style ``gettext`` does with autoescaping on (always, here): the
    message is always a format string (``%%`` for a percent sign)."""
    catalog = context.get(CATALOG_KEY)
    if catalog is None or not message or "\r" in message:  # Django's own cases
        translated = translation.gettext(message)
    else:
        translated = catalog.gettext(message)
    text = Markup(translated)  # noqa: S704 - ours, from the .po files
    # Formatting with nothing to fill in and no ``%`` would change nothing (1 µs).
    return text % variables if variables or "%" in text else text


def ngettext(singular: str, plural: str, number: int, **variables) -> Markup:
    """``ngettext()`` in a template: as ``gettext``, the form for ``number``
    (``%(num)s`` in the message, unless a variable of that name is given)."""
    variables.setdefault("num", number)
    message = translation.ngettext(singular, plural, number)
    return Markup(message) % variables  # noqa: S704 - ours, from the .po files


def environment(**options) -> Environment:
    options["undefined"] = Undefined  # never DebugUndefined: pages look the same in DEBUG
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    env = Environment(**options)  # noqa: S701 - the backend turns autoescape on
    # The extension's new-style flag: its tags (``{% trans %}``) pass their
    # values to ``gettext``/``ngettext``, which fill them in. ``_`` is
    # ``gettext`` itself, not the extension's alias that looks it up per call.
    env.newstyle_gettext = True
    env.globals.update(
        _=gettext,
        gettext=gettext,
        ngettext=ngettext,
        url=url,
        static=staticfiles_storage.url,
        current_year=current_year,
        picture=site_tags.picture,
        figure=site_tags.figure,
        language_links=site_tags.links_for,
        site_chrome=fragments.chrome,
        follow_label=site_tags.follow_label,
    )
    env.filters.update(
        newsroom_datetime=site_tags.newsroom_datetime,
        newsroom_date=site_tags.newsroom_date,
        iso=site_tags.iso,
        idr=idr,
        date=date,
        urlencode=defaultfilters.urlencode,
        default=default,
    )
    return env
