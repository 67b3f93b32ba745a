"""One allow-list for the body: what save keeps, render keeps, and nothing more."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.body import split_blocks
from articles.body_policy import BODY_LINK_REL, BODY_TAGS
from articles.rendering import feed_html, render_body, sanitize_block
from articles.sanitize import clean_body

# Tags on and off the list, attributes good and bad, text that needs escaping.
TAGS = sorted(BODY_TAGS) + [
    "script",
    "style",
    "img",
    "iframe",
    "svg",
    "div",
    "span",
    "figcaption",
    "form",
    "input",
    "object",
    "template",
]
ATTRIBUTES = [
    ' href="https://contoh.id/a"',
    ' href="javascript:alert(1)"',
    ' href="java&#x09;script:alert(1)"',
    ' href="data:text/html,x"',
    ' title="Sumber &quot;resmi&quot;"',
    ' rel="opener"',
    ' target="_blank"',
    ' onclick="alert(1)"',
    ' onerror="alert(1)"',
    ' src="https://evil.example/x.js"',
    ' style="color:red"',
    ' class="x"',
    ' colspan="2"',
    ' colspan="2 onmouseover=x"',
    ' scope="col"',
    ' scope="evil"',
    ' start="3"',
    ' data-photo-id="7"',
    ' data-read-also="8"',
    ' data-photo-id="²"',
]
TEXT = st.sampled_from(
    ["Rupiah", " menguat ", "&amp;", "&lt;b&gt;", "<", ">", "é", "—", "\u00a0", "[[foto:3]]", "'"]
)


def _element(children):
    return st.builds(
        lambda tag, attrs, inner, closed: (
            f"<{tag}{''.join(attrs)}>{''.join(inner)}" + (f"</{tag}>" if closed else "")
        ),
        st.sampled_from(TAGS),
        st.lists(st.sampled_from(ATTRIBUTES), max_size=3),
        st.lists(children, max_size=4),
        st.booleans(),
    )


HTML = st.lists(st.recursive(TEXT, _element, max_leaves=20), max_size=6).map("".join)

DANGEROUS = [
    "<p>Hai<script>alert('x')</script></p>",
    "<p>Hai<SCRIPT SRC=//evil.example/x.js></SCRIPT></p>",
    '<p onclick="alert(1)">Hai</p>',
    '<p>Hai<img src=x onerror="alert(1)"></p>',
    '<p>Hai<img src="https://evil.example/pixel.gif"></p>',
    '<p><a href="javascript:alert(1)">Hai</a></p>',
    '<p><a href=" JaVaScRiPt:alert(1)">Hai</a></p>',
    '<table><tr><td onmouseover="alert(1)">Hai</td></tr></table>',
    '<p>Hai</p><iframe src="https://evil.example/"></iframe>',
    '<p>Hai<svg onload="alert(1)"><circle/></svg></p>',
    "<style>p { color: red }</style><p>Hai</p>",
]
NEEDLES = ("script", "onclick", "onerror", "onload", "onmouseover", "javascript", "iframe")
NEEDLES += ("<img", "evil.example", "<svg", "style", "color: red")


def _render(html: str) -> str:
    return str(render_body(html))


@pytest.mark.parametrize("surface", [clean_body, _render, feed_html], ids=["save", "page", "feed"])
@pytest.mark.parametrize("dirty", DANGEROUS)
def test_script_handlers_and_foreign_sources_are_stripped_on_save_and_on_render(surface, dirty):
    clean = surface(dirty).lower()
    for needle in NEEDLES:
        assert needle not in clean, (needle, clean)
    assert "hai" in clean


def test_tables_quotes_and_abbreviations_survive_save_and_render_alike():
    html = (
        '<table><caption>Kurs</caption><tr><th scope="col" colspan="2">Mata uang</th></tr>'
        '<tr><td rowspan="2">USD</td><td>16.400</td></tr></table>'
        '<p><q>Stabil</q>, kata <abbr title="Bank Indonesia">BI</abbr>. '
        '<a href="https://bi.go.id" target="_blank">Sumber</a></p>'
    )
    saved = clean_body(html)
    assert saved.startswith("<table><caption>Kurs</caption><tbody>")
    assert '<th scope="col" colspan="2">' in saved
    assert '<td rowspan="2">USD</td>' in saved
    assert '<q>Stabil</q>, kata <abbr title="Bank Indonesia">BI</abbr>' in saved
    assert f'<a href="https://bi.go.id" rel="{BODY_LINK_REL}">Sumber</a>' in saved
    assert len(split_blocks(saved)) == 2  # a table is one block, not wrapped in a paragraph
    assert _render(saved) == saved
    assert sanitize_block(html) == saved.replace("\n", "")


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(HTML)
def test_rendering_a_sanitized_body_changes_nothing(html):
    saved = clean_body(html)
    assert clean_body(saved) == saved
    for block in split_blocks(saved):
        assert sanitize_block(block) == block
    placeholders = ("<figure", "<aside")
    text_blocks = [b for b in split_blocks(saved) if not b.startswith(placeholders)]
    assert feed_html(saved) == "\n".join(text_blocks)
