"""RSS for the site, each section and each topic.

Feeds are read by anonymous readers and aggregators, so every item carries
what an anonymous reader may see: the whole body of a free article, the
teaser of anything gated (``decide`` with the anonymous reader).
"""

from urllib.parse import urljoin

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Rss201rev2Feed
from django.utils.html import escape

from articles.body import visible_body
from articles.models import Article, Section, Topic
from articles.rendering import feed_html
from paywall.cache_policy import cache_policy
from paywall.policy import Surface, decide
from paywall.rights import ANONYMOUS

ITEMS = 30


def public_decision(article: Article):
    """A feed is shared by every reader and aggregator, so it is decided for the
    anonymous reader on the feed surface (which never spends a meter read)."""
    return decide(rights=ANONYMOUS, article=article, surface=Surface.FEED)


class CachedFeed(Feed):
    """A feed whose responses a CDN may keep a few minutes."""

    feed_type = Rss201rev2Feed
    language = "id"

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        policy = cache_policy(None, rights=ANONYMOUS, surface=Surface.FEED)
        return policy.apply(response, tags=["feeds", "lists"])

    def base_items(self):
        return (
            Article.objects.published()
            .for_listing()
            .prefetch_related("authors", "topics")
            .order_by("-published_at", "-pk")
        )

    def item_title(self, item):
        return item.headline

    def item_description(self, item):
        parts = [f"<p><strong>{escape(item.dek)}</strong></p>"] if item.dek else []
        decision = public_decision(item)
        parts.append(feed_html(visible_body(item, decision)))
        if decision.gated:
            parts.append(f'<p><a href="{escape(item.get_absolute_url())}">…</a></p>')
        return "\n".join(parts)

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return ", ".join(a.name for a in item.authors.all()) or None

    def item_categories(self, item):
        return [t.name for t in item.topics.all()]

    def item_enclosure_url(self, item):
        # RSS wants an absolute URL; storage gives a path (or, on S3, a full URL,
        # which urljoin leaves alone). SITE_URL, not the Host header: a CDN keeps feeds.
        if not item.lead_photo_id:
            return None
        return urljoin(f"{settings.SITE_URL}/", item.lead_photo.image.url)

    def item_enclosure_length(self, item):
        return 0

    def item_enclosure_mime_type(self, item):
        return "image/jpeg" if item.lead_photo_id else None


class LatestFeed(CachedFeed):
    def title(self):
        return settings.SITE_NAME

    def link(self):
        return "/"

    def description(self):
        return f"{settings.SITE_NAME}: berita terbaru"

    def items(self):
        return self.base_items()[:ITEMS]


class _ObjectFeed(CachedFeed):
    """The feed of one section or topic, named after it."""

    model = None

    def get_object(self, request, slug):
        return get_object_or_404(self.model, slug=slug)

    def title(self, obj):
        return f"{settings.SITE_NAME} · {obj.name}"

    def link(self, obj):
        return obj.get_absolute_url()

    def description(self, obj):
        return obj.description or obj.name


class SectionFeed(_ObjectFeed):
    model = Section

    def items(self, obj):
        return self.base_items().filter(
            section__in=[obj.pk, *obj.children.values_list("pk", flat=True)]
        )[:ITEMS]


class TopicFeed(_ObjectFeed):
    model = Topic

    def items(self, obj):
        return self.base_items().filter(topics=obj)[:ITEMS]
