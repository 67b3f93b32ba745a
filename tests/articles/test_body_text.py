"""The body as plain text, block by block (``Article.body_text``): what search
snippets cut instead of parsing the body's HTML per result.

Its teaser is a paywall boundary like the HTML teaser: the text of exactly
the blocks ``visible_body`` lets a gated reader see, never one more. It is a
copy kept by ``Article.save``, so a copy of another body is never used."""

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import demo_text
from articles.body import body_as_text, plain_text, split_blocks, visible_body, visible_text
from articles.demo import SECTIONS
from articles.models import Article
from paywall.policy import AccessDecision, Reason
from tests.factories import ArticleFactory

from .test_block_split import bodies

WHOLE = AccessDecision(granted=True, reason=Reason.SUBSCRIBER)
GATED = AccessDecision(granted=False, reason=Reason.PREMIUM_LOGIN, teaser_blocks=2)


class Body:
    def __init__(self, body: str):
        self.body = body


def the_old_teaser_text(html: str, paragraphs: int) -> str:
    """What a gated snippet showed before the text was kept: the teaser's HTML, as text."""
    return plain_text(visible_body(Body(html), replace(GATED, teaser_blocks=paragraphs)))


@settings(max_examples=300, deadline=None)
@given(html=bodies, paragraphs=st.integers(min_value=0, max_value=4))
def test_the_kept_teaser_is_the_text_of_the_teasers_blocks(html, paragraphs):
    gated = replace(GATED, teaser_blocks=paragraphs)

    assert visible_text(gated, kept=body_as_text(html)) == the_old_teaser_text(html, paragraphs)
    assert visible_text(gated, body=html) == the_old_teaser_text(html, paragraphs)


@settings(max_examples=200, deadline=None)
@given(html=bodies)
def test_the_whole_text_is_every_blocks_text(html):
    # The blocks the article page renders (``split_blocks``), as text.
    every_block = " ".join(filter(None, map(plain_text, split_blocks(html))))

    assert visible_text(WHOLE, kept=body_as_text(html)) == every_block


def test_demo_bodies_read_the_same_as_before():
    sections = [slug for slug, *_ in SECTIONS]
    for index in range(300):
        html = demo_text.article_body(
            index=index,
            section_slug=sections[index % len(sections)],
            rng=random.Random(index),
            photo_ids=[1],
        )
        kept = body_as_text(html)
        assert visible_text(WHOLE, kept=kept) == plain_text(html)
        for paragraphs in (1, 2, 3):
            gated = replace(GATED, teaser_blocks=paragraphs)
            assert visible_text(gated, kept=kept) == the_old_teaser_text(html, paragraphs)


@pytest.mark.django_db
def test_save_keeps_the_text_of_the_body_it_writes():
    article = ArticleFactory(body="<p>Satu.</p><p>Dua.</p>")

    def kept():
        return Article.objects.values_list("body_text", flat=True).get(pk=article.pk)

    assert kept() == body_as_text("<p>Satu.</p><p>Dua.</p>")
    article.body = "<p>Tiga.</p>"
    article.save(update_fields=["body"])
    assert kept() == body_as_text("<p>Tiga.</p>")
    # A save of other fields only, from a row read without the body, reads no body.
    partial = Article.objects.only("pk", "headline").get(pk=article.pk)
    partial.headline = "Judul lain"
    partial.save()
    assert kept() == body_as_text("<p>Tiga.</p>")


@pytest.mark.django_db
def test_a_body_written_without_save_leaves_no_text_of_the_old_body():
    """The database clears the kept text when a body is written around
    ``Article.save`` (migration 0011's trigger): search then reads the body."""
    article = ArticleFactory(headline="Lama", body="<p>Kata LAMASEKALI.</p>")
    rows = Article.objects.filter(pk=article.pk)

    rows.update(headline="Baru")  # the body unchanged: the text stays
    assert rows.values_list("body_text", flat=True).get() == body_as_text(article.body)
    rows.update(body="<p>Kata BARUSEKALI.</p>")
    assert rows.values_list("body_text", flat=True).get() is None
    # Written with its text, as ``save`` does, the text is kept.
    rows.update(body="<p>Lagi.</p>", body_text=body_as_text("<p>Lagi.</p>"))
    assert rows.values_list("body_text", flat=True).get() == body_as_text("<p>Lagi.</p>")
