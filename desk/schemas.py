"""The JSON shapes of the editor API (``desk.api``). Each is named and documented
for OpenAPI. Unlike the content API's, they carry every field and the whole
body: only a token of a staff user who may open the article gets them.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from core.api_schemas import Id, Text

AccessLevelName = Literal["free", "registered", "metered", "premium"]
StatusName = Literal["draft", "in_review", "scheduled", "published", "unpublished"]


class DraftIn(Schema):
    """A new draft. Ids must name existing sections, topics, authors and photos."""

    headline: Text = Field(min_length=1, max_length=250, examples=["Rupiah menguat pagi ini"])
    dek: Text = Field("", max_length=2000)
    section_id: Id | None = None
    topic_ids: list[Id] = Field(default_factory=list, max_length=50)
    author_ids: list[Id] = Field(default_factory=list, max_length=20)
    body: Text = Field(
        "",
        max_length=500_000,
        description="HTML; sanitized with an allow-list on save.",
        examples=["<p>Paragraf pertama.</p><p>Paragraf kedua.</p>"],
    )
    access_level: AccessLevelName = "free"
    dateline_city: Text = Field("", max_length=80)
    source_attribution: Text = Field("", max_length=250)
    lead_photo_id: Id | None = None
    lead_photo_caption: Text = Field("", max_length=2000)
    seo_title: Text = Field("", max_length=120)
    seo_description: Text = Field("", max_length=300)


class DraftPatchIn(Schema):
    """Changes to an article. ``version`` must be the one you read, or 409."""

    version: int = Field(
        ge=1, le=2**31, description="The version you edited; guards concurrent edits."
    )
    headline: Text | None = Field(None, min_length=1, max_length=250)
    dek: Text | None = Field(None, max_length=2000)
    section_id: Id | None = None
    topic_ids: list[Id] | None = Field(None, max_length=50)
    author_ids: list[Id] | None = Field(None, max_length=20)
    body: Text | None = Field(None, max_length=500_000)
    access_level: AccessLevelName | None = None
    dateline_city: Text | None = Field(None, max_length=80)
    source_attribution: Text | None = Field(None, max_length=250)
    lead_photo_id: Id | None = None
    lead_photo_caption: Text | None = Field(None, max_length=2000)
    seo_title: Text | None = Field(None, max_length=120)
    seo_description: Text | None = Field(None, max_length=300)


class DraftOut(Schema):
    """An article as its editors see it: every field, the whole body, its state."""

    id: int
    url: str
    status: StatusName
    version: int
    headline: str
    slug: str
    dek: str
    section_id: int | None
    topic_ids: list[int]
    author_ids: list[int]
    body: str
    access_level: AccessLevelName
    dateline_city: str
    source_attribution: str
    lead_photo_id: int | None
    lead_photo_caption: str
    seo_title: str
    seo_description: str
    publish_at: datetime | None
    published_at: datetime | None
    related_ids: list[int]
    updated_at: datetime


class RelatedIn(Schema):
    """The curated related articles, in order (replaces the current list)."""

    article_ids: list[Id] = Field(max_length=20, examples=[[12, 7]])


class TransitionIn(Schema):
    """A workflow step with an optional note for the publication log."""

    note: Text = Field("", max_length=300)


class ScheduleIn(Schema):
    """When the article goes live: in the future, and at most about five years ahead."""

    publish_at: datetime = Field(examples=["2030-06-20T14:05:00+07:00"])
    note: Text = Field("", max_length=300)
