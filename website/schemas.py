"""The JSON shapes of the content API. Each is named and documented for OpenAPI.

Nothing here reads ``Article.body``: the detail schema receives the body the
access decision let through (``paywall.policy.visible_body``).
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

AccessLevelName = Literal["free", "registered", "metered", "premium"]


class SectionOut(Schema):
    """A rubric of the paper."""

    id: int
    name: str
    slug: str
    url: str = Field(description="Path of the section page on the reader site.")
    parent_id: int | None = None


class TopicOut(Schema):
    """A tag shared by articles; hot topics are highlighted by the editors."""

    id: int
    name: str
    slug: str
    url: str
    is_hot: bool


class AuthorOut(Schema):
    """A byline profile."""

    id: int
    name: str
    slug: str
    url: str
    role_title: str = ""


class PhotoOut(Schema):
    """A photo with its caption, credit and the renditions generated for it."""

    id: int
    url: str = Field(description="The original upload.")
    width: int
    height: int
    alt_text: str
    caption: str
    credit: str = Field(description='"Photographer / Agency", as the paper prints it.')
    renditions: dict[str, str] = Field(
        description='Rendition name (e.g. "w640.webp") to its URL.',
        examples=[{"w640.webp": "/media/renditions/1/w640.webp"}],
    )


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


class ArticleOut(ArticleCardOut):
    """One article with the body the reader is entitled to: all of it, or the teaser."""

    editor: AuthorOut | None
    dateline_city: str
    source_attribution: str
    body: str = Field(description="Sanitized HTML; only the teaser when access is not granted.")
    access: AccessOut


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


class GalleryListOut(Schema):
    """Published galleries, newest first."""

    items: list[GalleryOut]
