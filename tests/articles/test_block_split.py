"""The body's blocks are the same however the parser is fed: ``iter_blocks``
reads the body in pieces (so a teaser stops parsing after its paragraphs),
and must cut exactly where one pass over the whole body cuts. The teaser is a
paywall boundary: a block more would leak text, a block less would lose it."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import body
from articles.body import _BlockSplitter, iter_blocks, split_blocks, teaser_blocks


def one_pass(html: str) -> list[str]:
    splitter = _BlockSplitter(html)
    splitter.feed(html)
    splitter.close()
    return [block for block in splitter.blocks if block.strip()]


words = st.sampled_from(["kopi", "harga", "a < b", "x > y", "&amp;", "&", "&#39;", " ", "\n"])
text = st.lists(words, max_size=6).map("".join)
tags = st.sampled_from(["p", "h2", "blockquote", "aside", "figure", "ul", "table", "b", "a"])


@st.composite
def element(draw, depth=0):
    tag = draw(tags)
    attribute = draw(st.sampled_from(["", ' class="x"', ' title="a > b < c"', " data-x='1'"]))
    inner = draw(st.lists(st.one_of(text, st.just("<br>"), st.just("<!-- a <b> -->")), max_size=4))
    if depth < 2 and draw(st.booleans()):
        inner.append(draw(element(depth=depth + 1)))
    return f"<{tag}{attribute}>{''.join(inner)}</{tag}>"


bodies = st.lists(
    st.one_of(element(), text, st.just("<hr>"), st.just("<img src='a.jpg'/>"), st.just("\n")),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(html=bodies, chunk=st.integers(min_value=1, max_value=64))
def test_the_blocks_are_the_ones_one_pass_gives(html, chunk):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(body, "CHUNK_CHARS", chunk)

        assert split_blocks(html) == one_pass(html)


@settings(max_examples=200, deadline=None)
@given(html=bodies, paragraphs=st.integers(min_value=1, max_value=4))
def test_the_teaser_is_the_leading_blocks_of_the_whole_split(html, paragraphs):
    blocks = one_pass(html)

    teaser = teaser_blocks(html, paragraphs=paragraphs)

    assert teaser == blocks[: len(teaser)]
    seen = sum(block.lstrip().lower().startswith("<p") for block in teaser)
    assert seen == min(paragraphs, sum(b.lstrip().lower().startswith("<p") for b in blocks))
    if teaser and len(teaser) < len(blocks):
        assert teaser[-1].lstrip().lower().startswith("<p")  # it ends on its last paragraph


def test_a_teaser_does_not_parse_past_its_paragraphs(monkeypatch):
    html = "<p>satu</p><p>dua</p>" + "<p>lagi</p>" * 2000
    fed = []
    feed = _BlockSplitter.feed
    monkeypatch.setattr(
        _BlockSplitter, "feed", lambda self, data: fed.append(data) or feed(self, data)
    )

    assert teaser_blocks(html, paragraphs=2) == ["<p>satu</p>", "<p>dua</p>"]
    assert sum(map(len, fed)) < len(html) / 10


@pytest.mark.parametrize("html", ["", None, "   ", "loose text", "<p>one</p> tail"])
def test_edges(html):
    assert list(iter_blocks(html)) == one_pass(html or "")
