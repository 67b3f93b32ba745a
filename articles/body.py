"""The article body's paragraph structure.

The stored body is sanitized HTML whose top-level elements are the blocks a
reader sees (paragraphs, sub-heads, quotes, figures, "Read also" asides). The
server cuts the teaser at a block boundary, so a gated reader never receives
the rest.
"""

import hashlib
import html as html_lib
import json
import re
from html.parser import HTMLParser

import nh3

VOID_ELEMENTS = {"br", "hr", "img", "wbr", "source", "col", "area", "embed", "input"}


class _BlockSplitter(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.blocks: list[str] = []
        self.depth = 0
        self.start: int | None = None
        self._line_offsets = [0]
        for line in html.splitlines(keepends=True):
            self._line_offsets.append(self._line_offsets[-1] + len(line))

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_offsets[line - 1] + col

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.start = self._offset()
        if tag not in VOID_ELEMENTS:
            self.depth += 1
        elif self.depth == 0:
            self._close(self._offset() + len(self.get_starttag_text() or ""))

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            self.start = self._offset()
            self._close(self._offset() + len(self.get_starttag_text() or ""))

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        self.depth = max(self.depth - 1, 0)
        if self.depth == 0 and self.start is not None:
            end = self.html.find(">", self._offset()) + 1
            self._close(end)

    def handle_data(self, data):
        if self.depth == 0 and data.strip():
            # Loose text at the top level becomes its own paragraph.
            self.blocks.append(f"<p>{data.strip()}</p>")

    def _close(self, end: int) -> None:
        self.blocks.append(self.html[self.start : end])
        self.start = None


# How much of the body the parser reads before handing over the blocks it has
# closed: a teaser stops after its first paragraphs instead of parsing the
# whole body (gated articles on every surface, search snippets).
CHUNK_CHARS = 512


def iter_blocks(html: str):
    """The body's top-level blocks, in order, each a well-formed HTML string,
    parsed only as far as the caller reads.

    The parser is fed the body in pieces that each end just before a ``<``, so
    a run of text is never cut in two (the parser hands text over as it reads
    it); a tag, comment or entity cut at a piece's end waits in the parser for
    the next piece. The blocks are the ones one ``feed`` of the whole body gives.
    """
    html = html or ""
    splitter = _BlockSplitter(html)
    handed = 0
    start = 0
    while start < len(html):
        cut = html.find("<", start + CHUNK_CHARS)
        end = len(html) if cut < 0 else cut
        splitter.feed(html[start:end])
        start = end
        while handed < len(splitter.blocks):
            handed += 1
            if splitter.blocks[handed - 1].strip():
                yield splitter.blocks[handed - 1]
    splitter.close()
    for block in splitter.blocks[handed:]:
        if block.strip():
            yield block


def split_blocks(html: str) -> list[str]:
    """The body's top-level blocks, in order, each a well-formed HTML string."""
    return list(iter_blocks(html))


def is_paragraph(block: str) -> bool:
    """Whether a block counts towards a teaser's paragraphs."""
    return block.lstrip().lower().startswith("<p")


def _leading(items, paragraphs: int, counts) -> list:
    """The leading items up to and including the ``paragraphs``-th that ``counts``."""
    kept = []
    seen = 0
    for item in items:
        kept.append(item)
        if counts(item):
            seen += 1
            if seen >= paragraphs:
                break
    return kept


def teaser_blocks(html: str, *, paragraphs: int = 2) -> list[str]:
    """The leading blocks up to and including the ``paragraphs``-th paragraph."""
    return _leading(iter_blocks(html), paragraphs, is_paragraph)


def visible_body(article, decision) -> str:
    """The body HTML a paywall decision lets leave the server: all of it, or the teaser.

    Every surface renders the body through this, with the decision it got
    from ``paywall.policy.decide`` (or ``paywall.reading.open_article``).
    """
    if decision.granted:
        return article.body
    return "\n".join(teaser_blocks(article.body, paragraphs=decision.teaser_blocks))


def plain_text(html: str) -> str:
    """Visible text of some HTML, for snippets and descriptions."""
    text = nh3.clean(html or "", tags=set())
    return re.sub(r"\s+", " ", html_lib.unescape(text)).strip()


# --- The body as plain text, block by block (search snippets) ------------------------


def body_digest(html: str) -> str:
    encoded = (html or "").encode("utf-8", "surrogatepass")
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def body_as_text(html: str) -> str:
    """The body's blocks as plain text, each with whether it counts as a
    paragraph, as JSON: what ``Article.save`` keeps in ``Article.body_text``,
    so a search snippet cuts the visible text without parsing the body's HTML
    on every request. With the body's digest, so another body always gives
    another value (migration 0011's trigger tells a body written without its
    text by an unchanged text). Text, not ``jsonb``: PostgreSQL sends text as
    it is, and spent more CPU turning ``jsonb`` back into text than reading
    the body."""
    kept = {"digest": body_digest(html), "blocks": _text_blocks(html)}
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"))


def _text_blocks(html: str) -> list:
    """``[is_paragraph, plain text]`` of each of the body's blocks."""
    return [[is_paragraph(block), plain_text(block)] for block in iter_blocks(html)]


def visible_text(decision, *, kept: str | None = None, body: str = "") -> str:
    """The plain text of what ``decision`` lets leave the server of an article's
    body: all its blocks' text, or the teaser's (the blocks ``visible_body``
    keeps).

    ``kept`` is the article's ``body_text``, read from it when there is one:
    ``Article.save`` writes it with the body, and the database clears it when
    a body is written without it (migration ``articles`` 0011's trigger).
    Without it, ``body`` is read here."""
    blocks = json.loads(kept)["blocks"] if kept else _text_blocks(body)
    if not decision.granted:
        blocks = _leading(blocks, decision.teaser_blocks, lambda block: block[0])
    return " ".join(text for _paragraph, text in blocks if text)
