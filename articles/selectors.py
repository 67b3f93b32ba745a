"""Reads the reader site and the API share."""

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Subquery

from .models import Article, RelatedArticle

TopicLink = Article.topics.through


def related_articles(article: Article, *, limit: int = 5, at=None):
    """The article's related block: curated entries first (in their order), then
    published articles sharing a topic, newest first; never the article itself.

    One query whatever the size of the block. The two candidate lists are cut
    to ``limit`` each before they are merged, so the database walks the
    newest-first index and stops early instead of ranking every article that
    shares a topic (seconds at 100,000 articles; well under a millisecond so).
    """
    curated = RelatedArticle.objects.filter(article_id=article.pk)
    live = Article.objects.published(at=at).exclude(pk=article.pk)
    curated_ids = (
        live.filter(pk__in=curated.values("related_id"))
        .annotate(
            curated_position=Subquery(
                curated.filter(related_id=OuterRef("pk")).values("position")[:1]
            )
        )
        .order_by("curated_position")
        .values("pk")[:limit]
    )
    shares_topic = Exists(
        TopicLink.objects.filter(
            article_id=OuterRef("pk"),
            topic_id__in=TopicLink.objects.filter(article_id=article.pk).values("topic_id"),
        )
    )
    by_topic_ids = live.filter(shares_topic).order_by("-published_at", "-pk").values("pk")[:limit]
    if connection.features.supports_slicing_ordering_in_compound:
        candidates = Q(pk__in=curated_ids.union(by_topic_ids))  # PostgreSQL: index lookups
    else:
        candidates = Q(pk__in=curated_ids) | Q(pk__in=by_topic_ids)  # SQLite
    return (
        Article.objects.for_listing()
        .filter(candidates)
        .annotate(
            curated_position=Subquery(
                curated.filter(related_id=OuterRef("pk")).values("position")[:1]
            )
        )
        .order_by(F("curated_position").asc(nulls_last=True), "-published_at", "-pk")[:limit]
    )


RELATED_ON_PAGE = 5  # the article page's related block (``website.pageblocks.related_rows``)


def articles_open_to(user):
    """Articles ``user`` may open in the editor API: every one for editors
    (``edit_any_article``), otherwise those they started or write under.

    Opening is not editing: ``services.can_edit`` still decides each save
    (a reporter opens their published article but edits only their drafts).
    """
    if not user.has_perm("articles.view_article"):
        return Article.objects.none()
    if user.has_perm("articles.edit_any_article"):
        return Article.objects.all()
    mine = Article.objects.filter(Q(created_by=user) | Q(authors__user=user)).values("pk")
    return Article.objects.filter(pk__in=mine)


# --- Section, topic and author lists ------------------------------------------------

# What a section, topic or author page lists: live articles whose section is one
# of the owners (a section page lists its subsections' too), or that carry the
# topic or byline. One IN list for sections (an OR across the section join
# would make PostgreSQL scan every article).
LIST_LOOKUPS = {"section": "section_id__in", "topic": "topics", "author": "authors"}
LIST_ORDER = ("-published_at", "-pk")


def listed_articles(kind: str, owner, *, at):
    """The live articles a section (``owner``: a list of section ids), topic or
    author page lists at ``at``."""
    return Article.objects.published(at=at).filter(**{LIST_LOOKUPS[kind]: owner})
