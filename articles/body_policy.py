"""The one allow-list of an article body, used on save and again on render.

``articles.sanitize.clean_body`` applies it when an article is saved (admin,
API, services) and ``articles.rendering`` applies it to every body block before
it reaches a reader, so a row written around the services is still safe to
print. Both passes call ``sanitize_html``: what one keeps the other keeps, and
rendering an already sanitized body changes nothing.

What a news body holds: paragraphs and sub-heads, quotes with their
attribution, lists, inline emphasis, links, abbreviations, tables (results,
polls, budgets) and the two embedded blocks the reader site expands
(``<figure data-photo-id>`` with an optional caption and credit override,
and ``<aside data-read-also>``; see ``articles.body_blocks``). Not allowed:
images (photos go through the photo library so they carry caption, credit
and renditions), embeds, forms, styles, classes and event handlers.
"""

import nh3

from .body_blocks import CAPTION_MAX, CREDIT_MAX, override_text

BODY_TAGS = frozenset(
    {
        # blocks
        "p",
        "h2",
        "h3",
        "h4",
        "blockquote",
        "footer",
        "ul",
        "ol",
        "li",
        "hr",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        # placeholders the reader site expands (see articles.sanitize)
        "figure",
        "aside",
        # inline
        "a",
        "abbr",
        "b",
        "br",
        "cite",
        "em",
        "i",
        "mark",
        "q",
        "s",
        "small",
        "strong",
        "sub",
        "sup",
        "u",
    }
)
BODY_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "figure": {"data-photo-id", "data-caption", "data-credit"},
    "aside": {"data-read-also"},
}
BODY_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Every link leaves the site without a window.opener and without a Referer.
BODY_LINK_REL = "noopener noreferrer"
# Elements removed with everything inside them, not left behind as text.
BODY_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "iframe", "object", "noscript"}
)

# Block-level elements that may stand at the top level of a stored body; any
# other top-level content (loose text, a bare <strong>) is wrapped in a paragraph.
TOP_LEVEL_BLOCKS = frozenset(
    {"p", "h2", "h3", "h4", "blockquote", "ul", "ol", "hr", "table", "figure", "aside"}
)

_NUMERIC_ATTRIBUTES = {"data-photo-id", "data-read-also", "start", "colspan", "rowspan"}
_SCOPES = {"row", "col", "rowgroup", "colgroup"}
# A photo block's caption and credit override: one line of plain text each.
_TEXT_ATTRIBUTES = {"data-caption": CAPTION_MAX, "data-credit": CREDIT_MAX}


def _keep_attribute(tag: str, attr: str, value: str) -> str | None:
    # Numbers stay numbers: a placeholder id or a colspan is never a way to smuggle text.
    if attr in _NUMERIC_ATTRIBUTES:
        digits = value.strip()
        return digits if digits.isascii() and digits.isdigit() and len(digits) <= 12 else None
    if attr in _TEXT_ATTRIBUTES:
        return override_text(value, limit=_TEXT_ATTRIBUTES[attr])
    if attr == "scope":
        return value if value in _SCOPES else None
    return value


_cleaner = nh3.Cleaner(
    tags=set(BODY_TAGS),
    attributes=BODY_ATTRIBUTES,
    url_schemes=set(BODY_URL_SCHEMES),
    clean_content_tags=set(BODY_DROPPED_WITH_CONTENT),
    link_rel=BODY_LINK_REL,
    strip_comments=True,
    attribute_filter=_keep_attribute,
)


def sanitize_html(html: str) -> str:
    """``html`` with everything off the body allow-list removed (idempotent)."""
    return _cleaner.clean(html or "")
