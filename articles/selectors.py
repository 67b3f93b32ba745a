"""Reads the reader site and the API share."""

from django.db.models import Exists, F, OuterRef, Q, Subquery

from .models import Article, RelatedArticle

TopicLink = Article.topics.through


def related_articles(article: Article, *, limit: int = 5, at=None):
    """The article's related block: curated entries first (in their order), then
    published articles sharing a topic, newest first; never the article itself.

    One query whatever the size of the block.
    """
    curated = RelatedArticle.objects.filter(article_id=article.pk)
    shares_topic = Exists(
        TopicLink.objects.filter(
            article_id=OuterRef("pk"),
            topic_id__in=TopicLink.objects.filter(article_id=article.pk).values("topic_id"),
        )
    )
    return (
        Article.objects.published(at=at)
        .for_listing()
        .exclude(pk=article.pk)
        .filter(Q(pk__in=curated.values("related_id")) | shares_topic)
        .annotate(
            curated_position=Subquery(
                curated.filter(related_id=OuterRef("pk")).values("position")[:1]
            )
        )
        .order_by(F("curated_position").asc(nulls_last=True), "-published_at", "-pk")[:limit]
    )
