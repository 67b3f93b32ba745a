"""The body allow-list: what an editor's HTML may keep and what is always removed."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.body import split_blocks
from articles.sanitize import _clean_once, body_references, clean_body


@pytest.mark.parametrize(
    "dirty",
    [
        "<p>Hai<script>alert('x')</script></p>",
        "<p>Hai<SCRIPT SRC=//evil.example/x.js></SCRIPT></p>",
        '<p onclick="alert(1)">Hai</p>',
        '<p>Hai<img src=x onerror="alert(1)"></p>',
        '<p><a href="javascript:alert(1)">Hai</a></p>',
        '<p><a href="java\tscript:alert(1)">Hai</a></p>',
        '<p><a href="java&#x09;script:alert(1)">Hai</a></p>',
        '<p><a href="&#106;&#97;vascript:alert(1)">Hai</a></p>',
        '<p><a href=" JaVaScRiPt:alert(1)">Hai</a></p>',
        '<p><a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">Hai</a></p>',
        '<p>Hai</p><iframe src="https://www.youtube.com/embed/x"></iframe>',
        '<p>Hai</p><iframe src="https://evil.example/"></iframe>',
        '<p style="background:url(javascript:alert(1))">Hai</p>',
        "<style>p { color: red }</style><p>Hai</p>",
        '<p>Hai<svg onload="alert(1)"><circle/></svg></p>',
        '<p>Hai<object data="x.swf"></object><embed src="x.swf"></p>',
        '<form action="https://evil.example"><input name="x"></form><p>Hai</p>',
        "<p>Hai<!-- <script>alert(1)</script> --></p>",
    ],
)
def test_dangerous_markup_is_stripped(dirty):
    clean = clean_body(dirty).lower()
    for needle in (
        "script",
        "onclick",
        "onerror",
        "onload",
        "javascript",
        "iframe",
        "style",
        "data:",
        "<svg",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<!--",
        "color: red",
    ):
        assert needle not in clean, (needle, clean)
    assert "hai" in clean


def test_editorial_markup_is_kept():
    html = (
        "<h2>Sub judul</h2><p>Teks <strong>tebal</strong>, <em>miring</em> dan "
        '<a href="https://contoh.id/a" title="Sumber">tautan</a>.</p>'
        "<blockquote><p>“Kutipan.”</p><footer>— Juru bicara</footer></blockquote>"
        '<ul><li>satu</li></ul><ol start="3"><li>tiga</li></ol>'
    )
    clean = clean_body(html)
    assert "<h2>Sub judul</h2>" in clean
    assert '<a href="https://contoh.id/a" title="Sumber" rel="noopener noreferrer">' in clean
    assert "<footer>— Juru bicara</footer>" in clean
    assert '<ol start="3">' in clean
    assert len(split_blocks(clean)) == 5


def test_placeholders_keep_only_their_numeric_data_attribute_and_become_empty():
    clean = clean_body(
        '<figure data-photo-id="12" class="x" onclick="a()"><img src="x"><figcaption>c'
        "</figcaption></figure>"
        '<aside data-read-also="7" data-other="1">Baca juga</aside>'
        '<figure data-photo-id="12 onmouseover=alert(1)"></figure>'
        '<aside data-read-also="abc"></aside><figure></figure>'
    )
    assert clean == '<figure data-photo-id="12"></figure>\n<aside data-read-also="7"></aside>'


def test_placeholders_nested_inside_other_blocks_are_dropped():
    clean = clean_body('<blockquote><figure data-photo-id="3"></figure><p>q</p></blockquote>')
    assert clean == "<blockquote><p>q</p></blockquote>"


def test_shortcode_paragraphs_become_placeholders_and_back():
    clean = clean_body(
        "<p>Satu</p><p>[[foto:5]]</p><p> [[ Baca-Juga : 9 ]] </p><p>[[photo:6]]</p>"
        "<p>[[read-also:10]]</p><p>Teks [[foto:5]] di tengah</p>"
    )
    blocks = split_blocks(clean)
    assert blocks == [
        "<p>Satu</p>",
        '<figure data-photo-id="5"></figure>',
        '<aside data-read-also="9"></aside>',
        '<figure data-photo-id="6"></figure>',
        '<aside data-read-also="10"></aside>',
        "<p>Teks [[foto:5]] di tengah</p>",
    ]
    assert body_references(clean) == ([5, 6], [9, 10])
    assert clean_body(clean) == clean


def test_loose_text_becomes_paragraphs_and_entities_survive():
    clean = clean_body("Teks lepas &amp; <em>miring</em><p>paragraf</p>ekor")
    assert split_blocks(clean) == [
        "<p>Teks lepas &amp; <em>miring</em></p>",
        "<p>paragraf</p>",
        "<p>ekor</p>",
    ]


def test_clean_body_is_idempotent_and_drops_empty_paragraphs():
    once = clean_body("<p></p><p>a</p><p> </p><h3>b</h3><hr><p>c<br>d</p>")
    assert once == "<p>a</p>\n<h3>b</h3>\n<hr>\n<p>c<br>d</p>"
    assert clean_body(once) == once


_soup = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<b>",
            "</b>",
            "<h2>",
            "</h2>",
            "<footer>",
            "</footer>",
            "<script>x()</script>",
            '<a href="javascript:x()">',
            '<a href="/berita/">',
            "</a>",
            "<ul><li>",
            "</li></ul>",
            "<blockquote>",
            "</blockquote>",
            "Kata ",
            "&amp; ",
            " ",
            "\n",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(html=_soup)
def test_a_clean_body_is_a_fixed_point_of_one_cleaning_pass(html):
    """What ``clean_body`` returns comes back unchanged from one more pass, so a
    saved body served again (the API) needs only the one pass that shows it."""
    once = clean_body(html)
    assert _clean_once(once) == once
    assert clean_body(once) == once
