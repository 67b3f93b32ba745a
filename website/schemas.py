"""The JSON shapes of the content API. Each is named and documented for OpenAPI.

The public schemas serialise the model objects themselves (``resolve_*``
methods for what is not a plain attribute), so a handler returns articles,
sections or photos and never builds a dict.

Nothing here reads ``Article.body``: ``ArticleOut.for_reader`` takes the body
the access decision let through (``paywall.policy.visible_body``), and no other
schema has a body at all.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from articles.body import visible_body
from articles.sanitize import clean_body
from articles.schemas import PhotoOut

AccessLevelName = Literal["free", "registered", "metered", "premium"]


class SectionOut(Schema):
    """A rubric of the paper."""

    id: int
    name: str
    slug: str
    url: str = Field(description="Path of the section page on the reader site.")
    parent_id: int | None = None

    @staticmethod
    def resolve_url(section) -> str:
        return section.get_absolute_url()


class TopicOut(Schema):
    """A tag shared by articles; hot topics are highlighted by the editors."""

    id: int
    name: str
    slug: str
    url: str
    is_hot: bool

    @staticmethod
    def resolve_url(topic) -> str:
        return topic.get_absolute_url()


class AuthorOut(Schema):
    """A byline profile."""

    id: int
    name: str
    slug: str
    url: str
    role_title: str = ""

    @staticmethod
    def resolve_url(author) -> str:
        return author.get_absolute_url()


class AccessOut(Schema):
    """The paywall decision for this reader and this article."""

    granted: bool = Field(description="True when the body is complete.")
    reason: str = Field(
        description="free, registered, subscriber, metered, staff, registration_required, "
        "premium_login, subscription_required, meter_exhausted, …"
    )
    meter_left: int | None = Field(
        None, description="Metered articles the reader may still open, when metered."
    )


class ArticleCardOut(Schema):
    """An article as lists show it: no body, only what every reader may see."""

    id: int
    url: str = Field(description="Path of the article page on the reader site.")
    headline: str
    dek: str
    section: SectionOut | None
    topics: list[TopicOut]
    authors: list[AuthorOut]
    lead_photo: PhotoOut | None
    lead_photo_caption: str = Field(description="The caption as this article prints it.")
    published_at: datetime | None
    updated_at: datetime
    access_level: AccessLevelName

    @staticmethod
    def resolve_url(article) -> str:
        return article.get_absolute_url()

    @staticmethod
    def resolve_lead_photo_caption(article) -> str:
        return article.caption


class ArticleOut(ArticleCardOut):
    """One article with the body the reader is entitled to: all of it, or the teaser."""

    editor: AuthorOut | None
    dateline_city: str
    source_attribution: str
    body: str = Field(description="Sanitized HTML; only the teaser when access is not granted.")
    access: AccessOut

    @classmethod
    def for_reader(cls, article, decision) -> "ArticleOut":
        """The article as this reader may see it: ``decision`` is the paywall's answer.

        ``article`` needs its section, lead photo (with agency), editor, topics
        and authors loaded, or each costs a query.
        """
        return cls.model_validate(article, context={"decision": decision})

    @staticmethod
    def resolve_body(article, context) -> str:
        return clean_body(visible_body(article, _decision(context)))

    @staticmethod
    def resolve_access(article, context):
        return _decision(context)


def _decision(context):
    # Only ``for_reader`` builds an ArticleOut: without a decision there is no body to show.
    if not context or "decision" not in context:
        raise TypeError("ArticleOut needs the access decision: use ArticleOut.for_reader().")
    return context["decision"]


class ArticlePageOut(Schema):
    """One page of articles, newest first."""

    items: list[ArticleCardOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class ArticleListOut(Schema):
    """A list of article cards."""

    items: list[ArticleCardOut]


class SearchHitOut(Schema):
    """A search result: the card and a snippet from text every reader may see."""

    article: ArticleCardOut
    snippet: str = Field(description="From the headline, dek or teaser; never gated text.")

    @staticmethod
    def resolve_snippet(result) -> str:
        return result.text  # the plain-text passage (``website.search.Result``)


class SearchOut(Schema):
    """Search results, best first."""

    query: str
    items: list[SearchHitOut]


class SectionListOut(Schema):
    """The paper's sections in their order."""

    items: list[SectionOut]


class TopicListOut(Schema):
    """Topics, hot ones in the editors' order."""

    items: list[TopicOut]


class AuthorListOut(Schema):
    """Byline profiles by name."""

    items: list[AuthorOut]
    next_cursor: str | None = None


class GalleryPhotoOut(Schema):
    """One photo of a gallery, with the gallery's caption for it."""

    position: int
    caption: str
    photo: PhotoOut

    @staticmethod
    def resolve_caption(item) -> str:
        return item.caption or item.photo.caption


class GalleryOut(Schema):
    """A photo story."""

    id: int
    title: str
    slug: str
    url: str
    description: str
    section: SectionOut | None
    published_at: datetime | None
    photos: list[GalleryPhotoOut]

    @staticmethod
    def resolve_url(gallery) -> str:
        return gallery.get_absolute_url()

    @staticmethod
    def resolve_photos(gallery) -> list:
        return list(gallery.items.all())


class GalleryListOut(Schema):
    """Published galleries, newest first."""

    items: list[GalleryOut]
