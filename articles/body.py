"""The article body's paragraph structure.

The stored body is sanitized HTML whose top-level elements are the blocks a
reader sees (paragraphs, sub-heads, quotes, figures, "Read also" asides). The
server cuts the teaser at a block boundary, so a gated reader never receives
the rest.
"""

from html.parser import HTMLParser

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


def split_blocks(html: str) -> list[str]:
    """The body's top-level blocks, in order, each a well-formed HTML string."""
    splitter = _BlockSplitter(html or "")
    splitter.feed(html or "")
    splitter.close()
    return [block for block in splitter.blocks if block.strip()]


def teaser_blocks(html: str, *, paragraphs: int = 2) -> list[str]:
    """The leading blocks up to and including the ``paragraphs``-th paragraph."""
    kept: list[str] = []
    seen = 0
    for block in split_blocks(html):
        kept.append(block)
        if block.lstrip().lower().startswith("<p"):
            seen += 1
            if seen >= paragraphs:
                break
    return kept


def visible_body(article, decision) -> str:
    """The body HTML a paywall decision lets leave the server: all of it, or the teaser.

    Every surface renders the body through this, with the decision it got
    from ``paywall.policy.decide`` (or ``paywall.reading.open_article``).
    """
    if decision.granted:
        return article.body
    return "\n".join(teaser_blocks(article.body, paragraphs=decision.teaser_blocks))
