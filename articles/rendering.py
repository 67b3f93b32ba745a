"""Turning stored content into the reader's HTML: photos and the article body.

The body arrives here already cut by the paywall (``visible_body``), so only
text the reader may see is ever expanded. The embedded blocks the editor
inserts as top-level blocks (``articles.body_blocks``) become real markup:

- ``<figure data-photo-id="N" …></figure>`` → a responsive figure with the
  photo's current renditions, and its caption and credit (this use's
  override, else the library's);
- ``<aside data-read-also="N"></aside>`` → a "Read also" block: the article's
  current headline and link, nothing of its text (a paywalled article's
  body never leaves through another article).

Every photo and every read-also article of one body is fetched in one query
each, so a body with twenty photos costs what a body with one does.
"""

import functools
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.prepared import prepared

from .body import split_blocks
from .body_blocks import PhotoBlock, ReadAlsoBlock, parse_block
from .body_policy import sanitize_html
from .models import Article, Photo

RENDITION_WIDTHS = (160, 320, 640, 960, 1280)
FALLBACK_MAX_WIDTH = 1280


def sanitize_block(html: str) -> str:
    """The render-time pass: the same allow-list as on save (``articles.body_policy``)."""
    return sanitize_html(html)


# --- Photos -------------------------------------------------------------------


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    fmt: str
    url: str


def renditions_of(photo: Photo) -> list[Rendition]:
    """The photo's generated 16:9 renditions, smallest first.

    Keys look like ``"640.webp"`` (``"w640.webp"`` is accepted too).
    """
    items = tuple((str(key), name) for key, name in (photo.renditions or {}).items())
    return list(_renditions(default_storage.base_url, items))


@functools.lru_cache(maxsize=4096)
def _renditions(base_url: str, items: tuple) -> tuple[Rendition, ...]:
    # Once per process for each photo's renditions (a page shows the same few
    # photos on many cards): the storage's URL joining is most of the cost.
    # ``base_url`` is in the key, so a changed MEDIA_URL is never served stale.
    found = []
    for key, name in items:
        size, _dot, fmt = key.lstrip("w").partition(".")
        if not size.isdigit() or fmt not in {"webp", "jpg", "jpeg", "avif"} or not name:
            continue
        width = int(size)
        found.append(Rendition(width, round(width * 9 / 16), fmt, default_storage.url(name)))
    return tuple(sorted(found, key=lambda r: (r.width, r.fmt)))


def _fallback_size(photo: Photo, max_width: int) -> tuple[int, int]:
    width = photo.width or max_width
    height = photo.height or round(width * 9 / 16)
    if width > max_width:
        height = round(height * max_width / width)
        width = max_width
    return width, height


def picture_html(
    photo: Photo | None,
    *,
    sizes: str = "(min-width: 1024px) 760px, 100vw",
    alt: str | None = None,
    eager: bool = False,
    max_width: int = 960,
    css_class: str = "",
) -> SafeString:
    """A ``<picture>`` with WebP and JPEG ``srcset`` and fixed width/height.

    Without renditions (not generated yet) the original image is shown with
    its aspect ratio at a bounded size, so the reader never sees a broken image.
    """
    if photo is None:
        return mark_safe("")  # noqa: S308 - a constant empty string
    return _picture(
        default_storage.base_url,
        tuple((str(key), name) for key, name in (photo.renditions or {}).items()),
        photo.image.name if photo.image else "",
        photo.width,
        photo.height,
        photo.alt_text if alt is None else alt,
        sizes,
        eager,
        max_width,
        css_class,
    )


@functools.lru_cache(maxsize=4096)
def _picture(
    base_url, renditions, image, width, height, alt_text, sizes, eager, max_width, css_class
) -> SafeString:
    # Once per process for each photo and presentation (a teaser photo shows on
    # many cards); every input is in the key, the storage's base URL too.
    photo = Photo(renditions=dict(renditions), image=image, width=width, height=height)
    loading = "eager" if eager else "lazy"
    priority = ' fetchpriority="high"' if eager else ""
    renditions = renditions_of(photo)
    webp = [r for r in renditions if r.fmt == "webp"]
    jpeg = [r for r in renditions if r.fmt in {"jpg", "jpeg"}]
    fallback_set = jpeg or webp
    if not fallback_set:
        if not photo.image:
            return mark_safe("")  # noqa: S308 - a constant empty string
        width, height = _fallback_size(photo, max_width)
        return format_html(
            '<img class="{}" src="{}" alt="{}" width="{}" height="{}" loading="{}"{}>',
            css_class,
            photo.image.url,
            alt_text,
            width,
            height,
            loading,
            mark_safe(priority),  # noqa: S308 - one of two constant strings
        )
    default = next((r for r in fallback_set if r.width >= max_width), fallback_set[-1])
    sources = ""
    if webp and jpeg:
        sources = format_html(
            '<source type="image/webp" srcset="{}" sizes="{}">',
            ", ".join(f"{r.url} {r.width}w" for r in webp),
            sizes,
        )
    return format_html(
        '<picture>{}<img class="{}" src="{}" srcset="{}" sizes="{}" alt="{}" width="{}"'
        ' height="{}" loading="{}"{}></picture>',
        sources,
        css_class,
        default.url,
        ", ".join(f"{r.url} {r.width}w" for r in fallback_set),
        sizes,
        alt_text,
        default.width,
        default.height,
        loading,
        mark_safe(priority),  # noqa: S308 - one of two constant strings
    )


def photo_figure_html(
    photo: Photo, *, caption: str | None = None, credit: str | None = None, eager: bool = False
) -> str:
    """A figure with the picture, its caption and its credit line (each overridable)."""
    caption = photo.caption if caption is None else caption
    credit = photo.credit_line if credit is None else credit
    credit_html = (
        format_html('<span class="credit">{} {}</span>', _("Photo:"), credit) if credit else ""
    )
    return format_html(
        '<figure class="photo">{}<figcaption>{} {}</figcaption></figure>',
        picture_html(photo, eager=eager),
        caption,
        credit_html,
    )


# --- The body ---------------------------------------------------------------


# The body's embedded photos and read-also articles, each in one query built
# once per process and number of ids (``core.prepared``).
@prepared
def _photos(*, ids: list[int]):
    return Photo.objects.select_related("agency").filter(pk__in=ids)


@prepared
def _read_also(*, ids: list[int], at):
    return Article.objects.published(at=at).select_related("section").filter(pk__in=ids)


def render_body(html: str, *, dateline: str = "") -> SafeString:
    """Expand photo and read-also blocks in (already paywall-cut) body HTML.

    ``dateline`` ("Warta Niaga, JAKARTA –") opens the first paragraph.
    """
    blocks = [(block, parse_block(block)) for block in split_blocks(html)]
    photo_ids = {b.photo_id for _, b in blocks if isinstance(b, PhotoBlock)}
    article_ids = {b.article_id for _, b in blocks if isinstance(b, ReadAlsoBlock)}
    photos = {p.pk: p for p in _photos(ids=sorted(photo_ids))} if photo_ids else {}
    articles = (
        {a.pk: a for a in _read_also(ids=sorted(article_ids), at=timezone.now())}
        if article_ids
        else {}
    )
    out = []
    for raw, block in blocks:
        if isinstance(block, PhotoBlock):
            photo = photos.get(block.photo_id)
            if photo is not None:
                out.append(photo_figure_html(photo, caption=block.caption, credit=block.credit))
        elif isinstance(block, ReadAlsoBlock):
            related = articles.get(block.article_id)
            if related is not None:
                out.append(read_also_html(related))
        else:
            clean = sanitize_block(raw)
            if dateline and clean.startswith("<p>"):
                clean = format_html('<p><span class="dateline">{}</span> ', dateline) + clean[3:]
                dateline = ""
            out.append(clean)
    return mark_safe("\n".join(out))  # noqa: S308 - every block is built escaped or sanitized


def read_also_html(article: Article) -> str:
    return format_html(
        '<aside class="read-also" aria-label="{label}"><span class="read-also-label">{label}'
        '</span> <a href="{url}">{headline}</a></aside>',
        label=_("Read also"),
        url=article.get_absolute_url(),
        headline=article.headline,
    )


def feed_html(html: str) -> str:
    """Body HTML for a feed: sanitized blocks, embedded blocks dropped (no queries)."""
    return "\n".join(
        sanitize_block(block) for block in split_blocks(html) if parse_block(block) is None
    )
