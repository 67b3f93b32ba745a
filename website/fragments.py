"""Rendered HTML shared by many pages, kept per language and cache generation.

A page miss used to render every teaser card, headline and sidebar block it
shows; most of them are the same on every page of a section (or of the whole
site) until the next publish. They are rendered here once, with the same
macros the templates use (``partials/card.html``, ``partials/headlines.html``,
``partials/sidebar.html``), and kept through ``pagecache.store.shared_fragment``
under the ``global`` and ``lists`` generations, so a publish, an edit or a
section/topic/photo change forgets them exactly when it forgets the pages.

What may be in a fragment: what is the same for every reader of a language,
whatever their rights (headlines, decks, section names, photos, dates, the
"Premium" badge, which is the article's level, not the reader's). What may
never be: ad slots (ad-free readers get none), meter counts, gates, teaser
text cut for one reader's entitlement, the reader's name, a CSRF token. Pages
put those between the fragments at render time.
"""

import threading
from collections import OrderedDict
from typing import NamedTuple

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import engines
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.translation import get_language
from markupsafe import Markup

from articles.models import path_place
from pagecache import store as page_cache

from . import pageblocks


class RenderedCard(NamedTuple):
    """One article's teaser as HTML; ``pk`` lets a page leave an article out."""

    pk: int
    html: str


def _macro(template: str, name: str):
    return getattr(engines["jinja2"].env.get_template(template).module, name)


# Rendered teaser cards by everything they show (``_card_key``), in this
# process: a card is the same HTML until its article, section or photo changes,
# whatever the purges in between (a publish purges every list, not the cards'
# content), so a list page after a publish renders only the cards it never
# rendered before. Bounded: ~3 KB a card (its HTML, and its inputs as the key:
# exact, where a digest of them cost three times as much CPU per card).
CARD_MEMO_SIZE = 512
_card_memo: OrderedDict = OrderedDict()
_card_memo_lock = threading.Lock()


def _card_context(options: tuple) -> tuple:
    """What every card of one call shares in its key: the options, and what
    addresses and dates are made with (language, URLconf, script prefix, time
    zone, media URL). Read once per call: each is a context-variable lookup."""
    return (
        get_language(),
        get_urlconf(),
        get_script_prefix(),
        timezone.get_current_timezone_name(),
        default_storage.base_url,
        options,
    )


def _card_key(context: tuple, values: tuple) -> tuple:
    """Every input of ``partials/card.html``'s ``card`` macro: the call's
    ``_card_context`` and the article's ``pageblocks.CARD_FIELDS``.
    ``tests/site/test_fragments.py`` renders a card from these fields alone and
    from the whole article and holds the two equal."""
    renditions = values[-1]
    return (
        *context,
        *values[:-1],
        tuple(renditions.items()) if isinstance(renditions, dict) else renditions,
    )


@receiver(setting_changed)
def _forget_cards(**kwargs) -> None:
    with _card_memo_lock:
        _card_memo.clear()


def _render_card(a, options: dict) -> str:
    return str(_macro("partials/card.html", "card")(a, **options))


def cards(articles, **options) -> list[RenderedCard]:
    """Teaser cards (``partials/card.html``) of articles, or of list rows of
    ``pageblocks.CARD_FIELDS``, each rendered once per process for as long as
    what it shows is unchanged (``_card_key``)."""
    context = _card_context(tuple(sorted(options.items())))
    place = None  # what the cards' addresses share, read at the first card rendered
    rendered = []
    for a in articles:
        if type(a) is tuple:
            values = a
        elif isinstance(a, pageblocks.CardArticle):
            values = a.values
        else:
            values = pageblocks.card_values(a)
        key = _card_key(context, values)
        with _card_memo_lock:
            html = _card_memo.get(key)
            if html is not None:
                _card_memo.move_to_end(key)
        if html is None:
            if a is values:
                place = place or path_place()
                a = pageblocks.card_article(values, place=place)
            html = _render_card(a, options)
            with _card_memo_lock:
                _card_memo[key] = html
                while len(_card_memo) > CARD_MEMO_SIZE:
                    _card_memo.popitem(last=False)
        rendered.append(RenderedCard(values[0], html))
    return rendered


def headlines(articles) -> list[RenderedCard]:
    headline = _macro("partials/headlines.html", "headline")
    return [RenderedCard(a.pk, str(headline(a))) for a in articles]


def joined(items) -> Markup:
    """The HTML of rendered cards or headlines, in order, as the template inserts it."""
    return Markup("".join(item.html for item in items))  # noqa: S704 - rendered with autoescape


def headline_list(items, *, numbered: bool = False) -> Markup:
    """``partials/headlines.html``'s list around rendered headlines."""
    tag = "ol" if numbered else "ul"
    css = "headlines numbered" if numbered else "headlines"
    rows = "".join(f"{item.html}\n" for item in items)
    return Markup(f'<{tag} class="{css}">\n{rows}</{tag}>')  # noqa: S704 - constant markup around rendered rows


def article_lists(section_id: int | None) -> pageblocks.Lists:
    """Latest news (cards), editors' picks (headlines) and "more in this section"
    (cards) around the articles of one section, one more of each than a page
    shows so that a page can leave itself out."""

    def build() -> pageblocks.Lists:
        rows = pageblocks.article_lists(
            latest=11,
            picks=6,
            section_ids=[section_id] if section_id else None,
            in_section=6,
        )
        return pageblocks.Lists(
            latest=cards(rows.latest, photo=True, heading="h3"),
            picks=headlines(rows.picks),
            in_section=cards(rows.in_section, photo=True, heading="h3"),
        )

    return page_cache.shared_fragment(f"article-lists:{get_language()}:{section_id}", build)


def chrome() -> dict:
    """The site menu and the sidebar around its ad slot, as HTML: ``nav``,
    ``hot_topics`` and ``galleries`` (galleries and the e-paper promo)."""

    def build() -> dict:
        shared = pageblocks.shared_blocks()
        module = engines["jinja2"].env.get_template("partials/sidebar.html").module
        return {
            "nav": str(module.nav(shared)),
            "hot_topics": str(module.hot_topics(shared)),
            "galleries": str(module.galleries_and_epaper(shared, settings.SITE_NAME)),
        }

    found = page_cache.shared_fragment(f"chrome:{get_language()}", build, lists=False)
    return {name: Markup(html) for name, html in found.items()}  # noqa: S704 - rendered with autoescape


def home_blocks() -> dict:
    """Every list of the home page as HTML: ``top_story``, ``top_stories``,
    ``latest``, ``section_blocks`` (a list), ``most_read`` and ``picks``."""

    def build() -> dict:
        shared = pageblocks.shared_blocks()
        home_sections = [s for s in shared["sections"] if s.show_on_home]
        lists = pageblocks.article_lists(latest=15, picks=6)
        lead, top, latest = lists.latest[:1], lists.latest[1:5], lists.latest[5:15]
        most_read = pageblocks.most_read(limit=5, fallback=lists.latest)
        section_block = _macro("partials/card.html", "section_block")
        return {
            "top_story": "".join(
                c.html for c in cards(lead, photo=True, big=True, heading="h2", eager=True)
            ),
            "top_stories": joined(cards(top, photo=True, heading="h3")),
            "latest": joined(cards(latest, photo=True, heading="h3")),
            "section_blocks": [
                str(
                    section_block(
                        section,
                        joined(
                            cards(rows[:1], photo=True, heading="h3")
                            + cards(rows[1:], photo=False, heading="h3")
                        ),
                    )
                )
                for section, rows in pageblocks.section_blocks(home_sections, per_section=4)
            ],
            "most_read": headline_list(headlines(most_read), numbered=True),
            "picks": headline_list(headlines(lists.picks)) if lists.picks else "",
        }

    found = page_cache.shared_fragment(f"home:{get_language()}", build)
    return {
        name: [Markup(v) for v in value] if isinstance(value, list) else Markup(value)  # noqa: S704 - rendered with autoescape
        for name, value in found.items()
    }


def listing_cards(articles, **options) -> list[Markup]:
    """The cards of a section, topic or author page (from this process's cards
    when their content is unchanged, ``cards``)."""
    return [Markup(card.html) for card in cards(articles, **options)]  # noqa: S704 - rendered with autoescape
