"""API schemas of the content model that both the public API (``website``) and the
editor API (``desk``) answer with."""

from django.core.files.storage import default_storage
from ninja import Field, Schema


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

    @staticmethod
    def resolve_url(photo) -> str:
        return photo.image.url if photo.image else ""

    @staticmethod
    def resolve_credit(photo) -> str:
        return photo.credit_line

    @staticmethod
    def resolve_renditions(photo) -> dict[str, str]:
        return {name: default_storage.url(path) for name, path in (photo.renditions or {}).items()}
