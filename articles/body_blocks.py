"""The two embedded blocks of an article body: an inline photo and a "Read also".

Both are real nodes of the admin's prose editor (``desk/static/desk/body-blocks.js``)
and are stored as the markup that editor writes, kept by the one allow-list
(``articles.body_policy``) and expanded by the reader site at render time
(``articles.rendering``):

    <figure data-photo-id="12"></figure>
    <figure data-photo-id="12" data-caption="Caption for this use" data-credit="Credit"></figure>
    <aside data-read-also="34"></aside>

A photo block names a library photo; its optional ``data-caption`` and
``data-credit`` override the library's caption and credit for this use only
(plain text: no markup survives, see ``body_policy``). A "Read also" block
names an article; the site prints that article's current headline and link
(never any of its text). Everything else a stored block holds (an ``<img>``,
a handler, a foreign ``src``) is removed on save and never printed.

``clean_body`` writes every block in the canonical form above (attributes in
that order, escaped the way the sanitizer escapes them), so this module can
recognise a block with a regular expression and a render needs no HTML parse.
"""

import re
from dataclasses import dataclass
from html import unescape

CAPTION_MAX = 1000
CREDIT_MAX = 200

_ATTR = r'"([^"]*)"'
_PHOTO = re.compile(
    rf"^<figure data-photo-id=\"(\d{{1,12}})\"(?: data-caption={_ATTR})?(?: data-credit={_ATTR})?"
    r"></figure>$"
)
_READ_ALSO = re.compile(r'^<aside data-read-also="(\d{1,12})"></aside>$')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f<>]")


@dataclass(frozen=True)
class PhotoBlock:
    """An inline photo: the library photo, and this use's caption and credit if overridden."""

    photo_id: int
    caption: str | None = None
    credit: str | None = None

    def html(self) -> str:
        parts = [f'<figure data-photo-id="{int(self.photo_id)}"']
        if self.caption:
            parts.append(f' data-caption="{attribute_escape(self.caption)}"')
        if self.credit:
            parts.append(f' data-credit="{attribute_escape(self.credit)}"')
        parts.append("></figure>")
        return "".join(parts)


@dataclass(frozen=True)
class ReadAlsoBlock:
    """A "Read also" link to another article."""

    article_id: int

    def html(self) -> str:
        return f'<aside data-read-also="{int(self.article_id)}"></aside>'


BodyBlock = PhotoBlock | ReadAlsoBlock


def override_text(value: str | None, *, limit: int) -> str | None:
    """A caption or credit override as stored: one line of plain text, or ``None``.

    Control characters and angle brackets go (the text is an attribute value
    and never markup), runs of whitespace become one space, and it is cut to
    ``limit`` characters. Empty means "use the library's".
    """
    if value is None:
        return None
    text = " ".join(_CONTROL.sub(" ", value).split())[:limit].strip()
    return text or None


def attribute_escape(value: str) -> str:
    """Escape an attribute value exactly as the sanitizer (html5ever) serializes one,
    so a body ``clean_body`` wrote is unchanged by the render-time pass."""
    return value.replace("&", "&amp;").replace("\u00a0", "&nbsp;").replace('"', "&quot;")


def parse_block(html: str) -> BodyBlock | None:
    """The embedded block a stored top-level block is, or ``None`` for ordinary text."""
    html = html.strip()
    if match := _PHOTO.match(html):
        return PhotoBlock(
            int(match[1]),
            override_text(unescape(match[2]), limit=CAPTION_MAX) if match[2] else None,
            override_text(unescape(match[3]), limit=CREDIT_MAX) if match[3] else None,
        )
    if match := _READ_ALSO.match(html):
        return ReadAlsoBlock(int(match[1]))
    return None


def block_from_attributes(tag: str, attrs: dict) -> BodyBlock | None:
    """The block a sanitized ``<figure>``/``<aside>`` element's attributes describe."""
    if tag == "figure":
        ident = attrs.get("data-photo-id") or ""
        if not ident.isdigit():
            return None
        return PhotoBlock(
            int(ident),
            override_text(attrs.get("data-caption"), limit=CAPTION_MAX),
            override_text(attrs.get("data-credit"), limit=CREDIT_MAX),
        )
    if tag == "aside":
        ident = attrs.get("data-read-also") or ""
        return ReadAlsoBlock(int(ident)) if ident.isdigit() else None
    return None


def body_blocks(html: str) -> list[BodyBlock]:
    """The embedded blocks of a clean body (one top-level block a line), in order."""
    return [block for line in (html or "").splitlines() if (block := parse_block(line))]
