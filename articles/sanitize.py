"""Cleaning an article body on save.

The allow-list itself lives in ``articles.body_policy``, shared with the
render-time pass in ``articles.rendering``.

The stored body is sanitized HTML whose top-level elements are the blocks a
reader sees (see ``articles.body``). Two blocks are embedded blocks that the
reader site expands at render time (``articles.body_blocks``):

- ``<figure data-photo-id="N" [data-caption=".."] [data-credit=".."]></figure>``:
  an inline photo (the library's caption and credit unless overridden here),
- ``<aside data-read-also="N"></aside>``: a "Read also" link to article N.

The admin's prose editor inserts them as nodes. Before it could, editors
wrote a paragraph holding only a shortcode; ``clean_body`` still reads one
(an old revision restored, a paste from an old note) and turns it into the
block, and migration ``articles 0008`` moved any stored ones:

    [[foto:12]]        (or [[photo:12]])       an inline photo
    [[baca-juga:34]]   (or [[read-also:34]])   a "Read also" block

``clean_body`` is idempotent. The reader site runs the same allow-list
(``body_policy.sanitize_html``) on every block at render time, so a row
written around the services is still safe to print.
"""

import re
from html import escape
from html.parser import HTMLParser

from .body_blocks import PhotoBlock, ReadAlsoBlock, block_from_attributes, body_blocks
from .body_policy import TOP_LEVEL_BLOCKS, sanitize_html

PLACEHOLDERS = {"figure": "data-photo-id", "aside": "data-read-also"}

SHORTCODE = re.compile(
    r"^\s*\[\[\s*(?P<kind>foto|photo|baca-juga|read-also)\s*:\s*(?P<id>\d{1,12})\s*\]\]\s*$",
    re.IGNORECASE,
)
SHORTCODE_KIND = {"foto": "figure", "photo": "figure", "baca-juga": "aside", "read-also": "aside"}
NESTED_PLACEHOLDER = re.compile(r"<(figure|aside)\b[^>]*>.*?</\1>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]*>")


class _TopLevel(HTMLParser):
    """Cuts already-sanitized HTML into top-level segments: blocks and inline runs."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.segments: list[tuple[str, str, dict]] = []  # (kind, html, attrs)
        self.depth = 0
        self.block_start: int | None = None
        self.block_tag = ""
        self.block_attrs: dict = {}
        self.inline_start: int | None = None
        self._lines = [0]
        for line in html.splitlines(keepends=True):
            self._lines.append(self._lines[-1] + len(line))

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._lines[line - 1] + col

    def _inline(self) -> None:
        if self.depth == 0 and self.block_start is None and self.inline_start is None:
            self.inline_start = self._offset()

    def _end_inline(self, at: int) -> None:
        if self.inline_start is not None:
            self.segments.append(("inline", self.html[self.inline_start : at], {}))
            self.inline_start = None

    def handle_starttag(self, tag, attrs):
        if self.depth == 0 and tag in TOP_LEVEL_BLOCKS:
            start = self._offset()
            self._end_inline(start)
            if tag == "hr":
                self.segments.append(("block", "<hr>", {}))
                return
            self.block_start, self.block_tag, self.block_attrs = start, tag, dict(attrs)
            self.depth = 1
            return
        if self.depth == 0:
            self._inline()
            return
        if tag not in ("br", "hr"):
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            if tag == "hr":
                self._end_inline(self._offset())
                self.segments.append(("block", "<hr>", {}))
            else:
                self._inline()

    def handle_endtag(self, tag):
        if self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0 and self.block_start is not None:
            end = self.html.find(">", self._offset()) + 1
            self.segments.append(
                (self.block_tag, self.html[self.block_start : end], self.block_attrs)
            )
            self.block_start = None

    def handle_data(self, data):
        if self.depth == 0 and data.strip():
            self._inline()

    def handle_entityref(self, name):
        self._inline()

    def handle_charref(self, name):
        self._inline()

    def close(self):
        super().close()
        self._end_inline(len(self.html))


def _text(html: str) -> str:
    return TAG.sub("", html)


def _placeholder(kind: str, ident: str) -> str:
    block = PhotoBlock(int(ident)) if kind == "figure" else ReadAlsoBlock(int(ident))
    return block.html()


def clean_body(html: str) -> str:
    """Sanitize an article body and normalize it into top-level blocks, one per line.

    Strips everything off the allow-list (scripts, event handlers, styles,
    iframes, ``javascript:`` links however they are spelled), keeps only the
    embedded blocks' own attributes, empties those blocks (an ``<img>`` or a
    script inside one goes), drops blocks that are not at the top level and
    turns shortcode paragraphs into blocks.
    """
    body = _clean_once(html)
    if body == html:
        # Already clean (a saved body, as the API serves it): a second pass
        # would give the same again, and cost as much as the first.
        return body
    # Markup that nests blocks oddly (a <footer> or a heading inside an inline
    # element) can need a second cut; what comes out is a fixed point, so
    # saving a saved body, or rendering it, changes nothing.
    for _attempt in range(3):
        again = _clean_once(body)
        if again == body:
            break
        body = again
    return body


def _clean_once(html: str) -> str:
    cleaned = sanitize_html(html)
    parser = _TopLevel(cleaned)
    parser.feed(cleaned)
    parser.close()
    blocks: list[str] = []
    for kind, segment, attrs in parser.segments:
        if kind in PLACEHOLDERS:
            block = block_from_attributes(kind, attrs)
            if block is not None:
                blocks.append(block.html())
            continue
        segment = NESTED_PLACEHOLDER.sub("", segment)
        if kind == "inline":
            if not _text(segment).strip():
                continue
            segment, kind = f"<p>{segment.strip()}</p>", "p"
        # Cutting at the top level can leave a tag unbalanced (an inline element
        # that wrapped a block): cleaning the block again closes it, so the
        # render-time pass over each block has nothing left to change.
        segment = sanitize_html(segment).strip()
        if kind == "p":
            match = SHORTCODE.match(_text(segment))
            if match:
                blocks.append(_placeholder(SHORTCODE_KIND[match["kind"].lower()], match["id"]))
                continue
            if not _text(segment).strip() and "<br" not in segment:
                continue  # the editor's empty paragraphs
        blocks.append(segment.strip())
    return "\n".join(blocks)


def body_references(html: str) -> tuple[list[int], list[int]]:
    """The photo ids and the "Read also" article ids a clean body refers to, in order."""
    photos, articles = [], []
    for block in body_blocks(html):
        if isinstance(block, PhotoBlock):
            photos.append(block.photo_id)
        else:
            articles.append(block.article_id)
    return photos, articles


def shortcode_for_photo(photo_id: int) -> str:
    return escape(f"[[foto:{photo_id}]]")


def shortcode_for_article(article_id: int) -> str:
    return escape(f"[[baca-juga:{article_id}]]")
