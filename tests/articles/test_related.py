from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from articles.selectors import related_articles
from tests.factories import ArticleFactory, RelatedArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_related_lists_curated_first_then_newest_sharing_a_topic(
    django_assert_num_queries,
):
    topic = TopicFactory()
    article = ArticleFactory(topics=[topic])
    now = timezone.now()
    older = ArticleFactory(topics=[topic], published_at=now - timedelta(days=2))
    newer = ArticleFactory(topics=[topic], published_at=now - timedelta(hours=2))
    ArticleFactory()  # shares nothing
    curated_b = ArticleFactory()
    curated_a = ArticleFactory()
    RelatedArticleFactory(article=article, related=curated_a, position=0)
    RelatedArticleFactory(article=article, related=curated_b, position=1)
    draft = ArticleFactory(topics=[topic], status=Article.Status.DRAFT)
    RelatedArticleFactory(article=article, related=draft, position=2)

    with django_assert_num_queries(1):
        related = list(related_articles(article, limit=10))

    assert related == [curated_a, curated_b, newer, older]


def test_related_block_is_cut_at_its_size():
    topic = TopicFactory()
    article = ArticleFactory(topics=[topic])
    for _ in range(4):
        ArticleFactory(topics=[topic])
    assert len(related_articles(article, limit=3)) == 3
    assert article not in related_articles(article, limit=10)
