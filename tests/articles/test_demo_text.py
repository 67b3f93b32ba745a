"""Demo content: every article tells its own story, the same way on every run."""

import random
import re

import pytest
from django.core.management import call_command

from articles import demo, demo_text
from articles.body import split_blocks, teaser_blocks
from articles.demo import SECTIONS
from articles.models import Article

PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
TEASER = 2  # the demo rules' teaser: the first two paragraphs


def _hidden_paragraphs(body: str) -> list[str]:
    """The paragraph texts (quotes included) a gated reader never receives."""
    rest = split_blocks(body)[len(teaser_blocks(body, paragraphs=TEASER)) :]
    return [text for block in rest for text in PARAGRAPH.findall(block)]


def _demo_bodies() -> dict[str, str]:
    return dict(Article.objects.filter(slug__startswith="demo-").values_list("slug", "body"))


@pytest.mark.django_db
def test_seeded_articles_share_no_hidden_paragraph_and_reseed_identically(monkeypatch):
    monkeypatch.setattr(demo, "PHOTO_COUNT", 3)  # drawing 24 photos is not what this tests
    call_command("seed_demo", articles=200, business="none", verbosity=0)
    bodies = _demo_bodies()
    assert len(bodies) == 200

    owner: dict[str, str] = {}
    for slug, body in bodies.items():
        hidden = _hidden_paragraphs(body)
        assert len(hidden) >= 5, slug  # 4 to 6 paragraphs and a pull quote past the teaser
        for text in hidden:
            assert owner.setdefault(text, slug) == slug, f"{text!r} in {owner[text]} and {slug}"
    assert "<blockquote><p>“" in next(iter(bodies.values()))  # quotes with attribution
    assert all("<h2>" in body and "<footer>— " in body for body in bodies.values())

    # Deterministic: the same articles again, from scratch, read exactly the same.
    Article.objects.filter(slug__startswith="demo-").delete()
    call_command("seed_demo", articles=200, business="none", verbosity=0)
    assert _demo_bodies() == bodies


def test_no_paragraph_repeats_across_ten_thousand_articles():
    sections = [slug for slug, *_ in SECTIONS]
    seen: dict[str, int] = {}
    for index in range(10_000):
        rng = random.Random(index)
        body = demo_text.article_body(
            index=index, section_slug=sections[index % len(sections)], rng=rng, photo_ids=[1]
        )
        for text in PARAGRAPH.findall(body):  # the teaser too
            assert seen.setdefault(text, index) == index, (text, seen[text], index)
    assert len(seen) > 10_000 * 7


@pytest.mark.parametrize("section", [slug for slug, *_ in SECTIONS])
def test_every_section_has_its_own_equal_pool_of_actors(section):
    # The numbering reads an actor digit of the same size in every section, and
    # disjoint pools keep two sections' paragraphs apart.
    actors = demo_text.ACTORS[section]
    assert len(actors) == len(set(actors)) == demo_text.ACTORS_PER_SECTION
    others = {a for slug, pool in demo_text.ACTORS.items() if slug != section for a in pool}
    assert not others & set(actors)


def test_the_demo_leaves_the_benchmark_search_term_to_headlines():
    pools = [
        demo_text.CIRCUMSTANCES,
        demo_text.ACTIONS,
        demo_text.OBSERVERS,
        demo_text.ASSESSMENTS,
        demo_text.FIGURES,
        demo_text.CLOSINGS,
        *demo_text.ACTORS.values(),
    ]
    assert not [phrase for pool in pools for phrase in pool if "inflasi" in phrase.lower()]
