"""Queries compiled once per process (``core.prepared``) answer what the ORM answers."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article
from articles.selectors import related_articles
from core.prepared import prepared
from tests.factories import ArticleFactory, PhotoFactory, RelatedArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_a_prepared_query_gives_the_orm_rows_for_every_set_of_values(
    django_assert_num_queries,
):
    topic = TopicFactory()
    now = timezone.now()
    first = ArticleFactory(topics=[topic])
    second = ArticleFactory(topics=[topic])
    older = ArticleFactory(topics=[topic], published_at=now - timedelta(days=2))
    curated = ArticleFactory()
    RelatedArticleFactory(article=second, related=curated, position=0)
    later = ArticleFactory(topics=[topic], published_at=now + timedelta(hours=1))
    built = []

    @prepared
    def related(*, article_id, at):
        built.append(article_id)
        return related_articles(Article(pk=article_id), limit=3, at=at)

    for article, at in [(first, now), (second, now), (first, now + timedelta(hours=2))]:
        with django_assert_num_queries(1):
            rows = related(article_id=article.pk, at=at)
        assert rows == list(related_articles(article, limit=3, at=at))
        assert [r.section.name for r in rows] == [r.section.name for r in rows]  # selected
    assert later in related(article_id=first.pk, at=now + timedelta(hours=2))
    assert later not in related(article_id=first.pk, at=now)
    assert curated == related(article_id=second.pk, at=now)[0]
    assert related(article_id=first.pk, at=now) == [second, older]
    assert len(built) == 2  # built and compiled once (with two sets of stand-ins)


def test_a_list_argument_makes_one_shape_per_length():
    photos = [PhotoFactory() for _ in range(3)]

    @prepared
    def by_ids(*, ids):
        return type(photos[0]).objects.filter(pk__in=ids).order_by("pk")

    assert by_ids(ids=[photos[0].pk]) == [photos[0]]
    assert by_ids(ids=[photos[2].pk, photos[0].pk]) == [photos[0], photos[2]]
    assert by_ids(ids=[]) == []
    assert by_ids(ids=[p.pk for p in photos]) == sorted(photos, key=lambda p: p.pk)


def test_a_uuid_argument_is_a_parameter(django_assert_num_queries):
    from paywall.models import Meter

    meters = [Meter.objects.create(token=uuid.uuid4()) for _ in range(3)]

    @prepared
    def by_token(*, token):
        return Meter.objects.filter(token=token).values_list("pk", flat=True)

    for found in meters:
        with django_assert_num_queries(1):
            assert by_token(token=found.token) == [found.pk]
    assert by_token(token=uuid.uuid4()) == []


def test_a_page_of_a_prepared_query_is_the_orm_slice_with_one_shape_for_every_page(
    django_assert_num_queries,
):
    topic = TopicFactory()
    now = timezone.now()
    for days in range(7):
        ArticleFactory(topics=[topic], published_at=now - timedelta(days=days, hours=1))
    ArticleFactory()  # not in the topic
    built = []

    @prepared
    def in_topic(*, topic_id, at):
        built.append(topic_id)
        return Article.objects.published(at=at).filter(topics=topic_id).order_by("-published_at")

    expected = list(
        Article.objects.published(at=now).filter(topics=topic).order_by("-published_at")
    )
    for offset, limit in [(0, 3), (3, 3), (6, 3), (2, 1), (7, 5)]:
        with django_assert_num_queries(1):
            rows = in_topic.page(offset=offset, limit=limit, topic_id=topic.pk, at=now)
        assert rows == expected[offset : offset + limit]
    assert in_topic(topic_id=topic.pk, at=now) == expected  # the unpaged shape still works
    assert len(built) == 4  # two shapes (paged, unpaged), each built twice, once
    with pytest.raises(ValueError, match="offset >= 0 and limit >= 1"):
        in_topic.page(offset=-1, limit=3, topic_id=topic.pk, at=now)
    with pytest.raises(ValueError, match="offset >= 0 and limit >= 1"):
        in_topic.page(offset=0, limit=0, topic_id=topic.pk, at=now)


def test_a_text_value_is_a_parameter():
    topics = [TopicFactory(), TopicFactory()]

    @prepared
    def by_slug(*, slug):
        return type(topics[0]).objects.filter(slug=slug)

    assert by_slug(slug=topics[0].slug) == [topics[0]]
    assert by_slug(slug=topics[1].slug) == [topics[1]]
    assert by_slug(slug="x' OR '1'='1") == []


def test_a_value_that_is_not_a_query_parameter_is_refused():
    article = ArticleFactory()

    @prepared
    def written_into_the_sql(*, article_id):
        return Article.objects.extra(where=[f"id = {int(article_id)}"])  # noqa: S610 - the case refused

    @prepared
    def not_used(*, article_id):
        return Article.objects.all()

    with pytest.raises(ValueError, match="written into the SQL"):
        written_into_the_sql(article_id=article.pk)
    with pytest.raises(ValueError, match="not a parameter"):
        not_used(article_id=article.pk)


def test_an_article_id_too_big_for_the_column_is_a_404(client):
    response = client.get("/ekonomi/2026/01/02/99999999999999999999/judul/")
    assert response.status_code == 404
    response = client.get("/ekonomi/2026/01/02/9223372036854775808/judul/")
    assert response.status_code == 404


def test_text_arguments_and_two_of_one_type_each_keep_their_place():
    now = timezone.now()
    hour = timedelta(hours=1)
    old = ArticleFactory(published_at=now - 3 * hour, access_level="free")
    middle = ArticleFactory(published_at=now - 2 * hour, access_level="metered")
    new = ArticleFactory(published_at=now - hour, access_level="free")

    @prepared
    def between(*, level, since, until):
        return Article.objects.filter(
            access_level=level, published_at__gte=since, published_at__lte=until
        ).order_by("pk")

    assert between(level="free", since=now - 4 * hour, until=now - 2 * hour) == [old]
    assert between(level="metered", since=now - 4 * hour, until=now) == [middle]
    assert between(level="free", since=now - 150 * timedelta(minutes=1), until=now) == [new]


def test_a_text_argument_the_lookup_rewrites_is_refused():
    ArticleFactory()

    @prepared
    def containing(*, word):
        return Article.objects.filter(headline__icontains=word)

    with pytest.raises(ValueError, match="not a parameter"):
        containing(word="rupiah")
