"""The lists around an article page, read once per section and shared."""

import pytest

from tests.conftest import clear_caches
from tests.factories import ArticleFactory, SectionFactory
from website import pageblocks
from website.views import _lists_around

pytestmark = pytest.mark.django_db


def _pks(rows):
    return [a.pk for a in rows]


def test_shared_lists_are_the_lists_without_the_article(django_assert_num_queries):
    section = SectionFactory()
    articles = [ArticleFactory(section=section, is_editors_pick=i % 2 == 0) for i in range(14)]
    articles += [ArticleFactory(is_editors_pick=True) for _ in range(3)]
    clear_caches()
    for article in (articles[-1], articles[5], articles[0]):  # newest, middle, oldest
        expected = pageblocks.article_lists(
            latest=10,
            picks=5,
            section_ids=[article.section_id],
            in_section=5,
            exclude_pk=article.pk,
        )
        got = _lists_around(article)
        assert _pks(got.latest) == _pks(expected.latest)
        assert _pks(got.picks) == _pks(expected.picks)
        assert _pks(got.in_section) == _pks(expected.in_section)
        assert article.pk not in _pks(got.latest) + _pks(got.picks) + _pks(got.in_section)
    # A second article of the same section reads nothing from the database.
    with django_assert_num_queries(0):
        _lists_around(articles[3])


def test_a_new_article_shows_in_the_shared_lists_at_once():
    section = SectionFactory()
    first = ArticleFactory(section=section)
    assert _pks(_lists_around(first).latest) == []
    second = ArticleFactory(section=section)  # publishing bumps the lists generation
    assert _pks(_lists_around(first).latest) == [second.pk]
    assert _pks(_lists_around(first).in_section) == [second.pk]


def test_a_list_page_counts_its_articles_once_per_publish(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from website.views import PER_PAGE

    section = SectionFactory()
    for _ in range(PER_PAGE + 1):
        ArticleFactory(section=section)
    first = client.get(section.get_absolute_url()).content.decode()
    assert "Halaman 1 dari 2" in first
    with CaptureQueriesContext(connection) as queries:  # another page: a page miss
        second = client.get(section.get_absolute_url() + "?page=2").content.decode()
    assert "Halaman 2 dari 2" in second
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    for _ in range(PER_PAGE):
        ArticleFactory(section=section)  # each publish purges the lists and their count
    third = client.get(section.get_absolute_url() + "?page=3").content.decode()
    assert "Halaman 3 dari 3" in third
