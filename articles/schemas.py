"""API schemas of the content model that both the public API (``website``) and the
editor API (``desk``) answer with."""

from functools import lru_cache

from django.conf import DEFAULT_STORAGE_ALIAS
from django.core.files.storage import FileSystemStorage, default_storage, storages
from ninja import Field, Schema

from .models import Photo


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


# --- the same photo from ``.values()`` (the public API's hot lists) ----------------

# ``.values()`` names of a photo reached through ``prefix`` (``lead_photo__``).
PHOTO_FIELDS = (
    "image",
    "width",
    "height",
    "alt_text",
    "caption",
    "credit",
    "agency__name",
    "renditions",
)


def concrete(storage):
    """The storage behind Django's lazy ``default_storage`` (``storages``), else
    ``storage``: every attribute read and ``isinstance`` through the lazy
    proxy goes through Python code, a few of them per photo of a card."""
    return storages[DEFAULT_STORAGE_ALIAS] if storage is default_storage else storage


def media_url(storage, name: str) -> str:
    """``storage.url(name)``, remembered per process for files on local disk: there
    the URL is a pure function of ``MEDIA_URL`` and the name, and joining them
    costs more than the rest of a card (a photo has a dozen renditions)."""
    if isinstance(storage, FileSystemStorage):
        return _local_url(storage, storage.base_url, name)
    return storage.url(name)


@lru_cache(maxsize=8192)
def _local_url(storage, base_url: str, name: str) -> str:
    return storage.url(name)


def rendition_urls(storage, renditions: dict | None) -> dict[str, str]:
    """``{name: storage.url(path)}`` of a photo's renditions; on local disk
    remembered per process for the whole set (a card lists a dozen, and each
    ``default_storage`` attribute read goes through its lazy wrapper)."""
    if not renditions:
        return {}
    if isinstance(storage, FileSystemStorage):
        return dict(_local_urls(storage, storage.base_url, tuple(renditions.items())))
    return {name: storage.url(path) for name, path in renditions.items()}


@lru_cache(maxsize=2048)
def _local_urls(storage, base_url: str, renditions: tuple) -> tuple:
    return tuple((name, storage.url(path)) for name, path in renditions)


def photo_payload(pk: int, values: dict, prefix: str = "") -> dict:
    """``PhotoOut`` of photo ``pk`` from its ``PHOTO_FIELDS`` values (named with ``prefix``)."""
    image = values[prefix + "image"]
    credit = (values[prefix + "credit"], values[prefix + "agency__name"] or "")
    storage = concrete(Photo._meta.get_field("image").storage)
    return {
        "id": pk,
        "url": media_url(storage, image) if image else "",
        "width": values[prefix + "width"],
        "height": values[prefix + "height"],
        "alt_text": values[prefix + "alt_text"],
        "caption": values[prefix + "caption"],
        "credit": " / ".join(part for part in credit if part),
        "renditions": rendition_urls(concrete(default_storage), values[prefix + "renditions"]),
    }
