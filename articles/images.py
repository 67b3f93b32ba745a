"""Photo uploads and renditions.

``validate_upload`` decides whether an uploaded file may become a photo: the
admin form and the API both call it. It judges the bytes, never the name: only
JPEG, PNG, WebP and GIF, within ``PHOTO_MAX_BYTES`` and ``PHOTO_MAX_PIXELS``,
complete, with nothing appended or embedded that a browser could run. What it
returns is a re-encoded copy (orientation applied, metadata such as GPS
removed), so even the original we serve carries nothing the uploader did not
mean to publish.

``photo_generate_renditions`` makes the crops of ``RENDITION_SHAPES`` (16:9
for the templates, square for cards and social), each centred on the focal
point as far as the picture allows (``crop_box``), in WebP and JPEG; the
Celery task ``articles.tasks.generate_photo_renditions`` only hands over to
it. The photo admin's focal-point preview (``desk/static/desk/focal-point.js``)
repeats ``crop_box`` so what an editor sees is what the worker cuts.
"""

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import Photo

# Pillow format name -> the extension we store it under. MPO is how Pillow
# names the multi-picture JPEGs many phones write; we keep its first picture.
ACCEPTED_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
SAVE_FORMAT = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "GIF"}

RENDITION_WIDTHS = (160, 320, 640, 960, 1280)
RENDITION_FORMATS = ("webp", "jpg")
ASPECT = (16, 9)
SQUARE = (1, 1)
SQUARE_WIDTHS = (160, 320, 640)


@dataclass(frozen=True)
class RenditionShape:
    """One family of renditions: its key prefix (``"sq"`` in ``"sq320.jpg"``), aspect, widths."""

    prefix: str
    aspect: tuple[int, int]
    widths: tuple[int, ...]


# The 16:9 keys carry no prefix ("640.webp"): the site and the API have read them so since day one.
RENDITION_SHAPES = (
    RenditionShape(prefix="", aspect=ASPECT, widths=RENDITION_WIDTHS),
    RenditionShape(prefix="sq", aspect=SQUARE, widths=SQUARE_WIDTHS),
)

# Markup that has no business inside a picture: a file holding it is built to
# be read as something else too (a polyglot), whatever its image part says.
MARKUP_MARKERS = (b"<script", b"<?php", b"<html", b"<svg", b"<iframe", b"<!doctype", b"<body")
# Image metadata we keep because the picture needs it to look the same.
KEEP_INFO = {"transparency", "duration", "loop", "background"}


def _size(n: int) -> str:
    return filesizeformat(n)


def _jpeg_end(data: bytes) -> int:
    """The offset just past a JPEG's end-of-image marker, walking its segments."""
    pos = 2
    size = len(data)
    while pos + 1 < size:
        if data[pos] != 0xFF:
            raise ValueError("bad marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            while True:
                pos = data.index(b"\xff", pos)
                following = data[pos + 1]
                if following == 0x00 or following == 0xFF or 0xD0 <= following <= 0xD7:
                    pos += 1 if following == 0xFF else 2
                    continue
                break
    raise ValueError("no end of image")


def _png_end(data: bytes) -> int:
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    raise ValueError("no IEND chunk")


def _gif_sub_blocks(data: bytes, pos: int) -> int:
    while True:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def _gif_end(data: bytes) -> int:
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while True:
        block = data[pos]
        if block == 0x3B:
            return pos + 1
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _gif_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image: descriptor, local colour table, LZW size, sub-blocks
            local = data[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            pos = _gif_sub_blocks(data, pos + 1)
        else:
            raise ValueError("unknown GIF block")


def _webp_end(data: bytes) -> int:
    (size,) = struct.unpack("<I", data[4:8])
    return 8 + size + (size & 1)


END_OF = {"JPEG": _jpeg_end, "PNG": _png_end, "GIF": _gif_end, "WEBP": _webp_end}


def _has_appended_data(data: bytes, fmt: str) -> bool:
    """True when bytes follow the image's own end (a zip, a page, a script...)."""
    if fmt not in END_OF:
        return False  # MPO: further pictures follow the first by design
    try:
        end = END_OF[fmt](data)
    except (ValueError, IndexError, struct.error):
        return True
    return end > len(data) or bool(data[end:].strip(b"\x00"))


def validate_upload(file) -> ContentFile:
    """Check an uploaded image and return a clean, re-encoded copy to store.

    Raises ``ValidationError`` with a message an editor can act on; never
    lets Pillow's own errors (decompression bombs, truncation) escape.
    """
    limit = settings.PHOTO_MAX_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("The file is %(size)s; photos may be at most %(limit)s.")
            % {"size": _size(size), "limit": _size(limit)},
            code="too_large",
        )
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            _("The file is larger than %(limit)s.") % {"limit": _size(limit)},
            code="too_large",
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    lowered = data.lower()
    if data.lstrip()[:1] == b"<" or b"<svg" in lowered[:4096]:
        raise ValidationError(
            _("SVG and other text files are not accepted; upload JPEG, PNG, WebP or GIF."),
            code="svg",
        )
    if any(marker in lowered for marker in MARKUP_MARKERS):
        raise ValidationError(
            _("The file contains web page or script code as well as a picture; refused."),
            code="polyglot",
        )

    too_big = ValidationError(
        _("The picture has too many pixels (at most %(limit)s million); resize it first.")
        % {"limit": f"{settings.PHOTO_MAX_PIXELS / 1_000_000:g}"},
        code="too_many_pixels",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            if fmt not in ACCEPTED_FORMATS:
                raise ValidationError(
                    _("Only JPEG, PNG, WebP and GIF pictures are accepted (this is %(fmt)s).")
                    % {"fmt": fmt},
                    code="format",
                )
            frames = getattr(image, "n_frames", 1)
            if image.width * image.height * max(frames, 1) > settings.PHOTO_MAX_PIXELS:
                raise too_big
            image.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except UnidentifiedImageError:
            raise ValidationError(
                _("This is not a picture we can read; upload JPEG, PNG, WebP or GIF."),
                code="format",
            ) from None
        except (OSError, SyntaxError, ValueError, struct.error, EOFError):
            raise ValidationError(
                _("The picture is damaged or incomplete (truncated); upload it again."),
                code="truncated",
            ) from None
    if _has_appended_data(data, fmt):
        raise ValidationError(
            _("The file carries extra data after the picture (a polyglot file); refused."),
            code="polyglot",
        )
    stem = slugify(PurePath(getattr(file, "name", "") or "photo").stem)[:80] or "photo"
    cleaned = ContentFile(_reencode(image, fmt), name=f"{stem}.{ACCEPTED_FORMATS[fmt]}")
    cleaned.image_format = fmt
    return cleaned


def _reencode(image: Image.Image, fmt: str) -> bytes:
    """The same picture in the same format, upright, with no metadata."""
    animated = getattr(image, "n_frames", 1) > 1 and fmt in ("GIF", "WEBP")
    if not animated:
        image = ImageOps.exif_transpose(image)
    image.info = {k: v for k, v in image.info.items() if k in KEEP_INFO}
    buffer = io.BytesIO()
    save_format = SAVE_FORMAT[fmt]
    options: dict = {}
    if save_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        options = {"quality": 92}
    elif save_format == "WEBP":
        options = {"quality": 92}
    if animated:
        options["save_all"] = True
    image.save(buffer, format=save_format, **options)
    return buffer.getvalue()


def crop_box(
    width: int,
    height: int,
    focal_x: float,
    focal_y: float,
    aspect: tuple[int, int] = ASPECT,
) -> tuple[int, int, int, int]:
    """The largest box of ``aspect`` inside the picture, as centred on the focal point as it fits.

    ``desk/static/desk/focal-point.js`` (``cropBox``) is the same arithmetic for
    the admin's live preview: change both together.
    """
    aw, ah = aspect
    if width * ah > height * aw:
        crop_w, crop_h = round(height * aw / ah), height
    else:
        crop_w, crop_h = width, round(width * ah / aw)
    left = min(max(round(focal_x * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(focal_y * height - crop_h / 2), 0), height - crop_h)
    return left, top, left + crop_w, top + crop_h


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: transparency has no meaning in a JPEG rendition."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def photo_generate_renditions(photo_id: int) -> dict[str, str]:
    """Make (or reuse) every rendition of a photo and record them on its row.

    Widths larger than the crop are not made (no upscaling), except the
    smallest, so a tiny picture still has one. Safe to run twice and in any
    order: file names carry a fingerprint of the picture and focal point, and
    the row is only updated while it still shows the picture we cropped.
    """
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or not photo.image:
        return {}
    source_name, fx, fy = photo.image.name, photo.focal_x, photo.focal_y
    fingerprint = hashlib.sha256(f"{source_name}:{fx:.4f}:{fy:.4f}".encode()).hexdigest()[:10]
    with default_storage.open(source_name, "rb") as handle:
        with Image.open(handle) as original:
            upright = ImageOps.exif_transpose(original)
            upright.load()
    renditions: dict[str, str] = {}
    for shape in RENDITION_SHAPES:
        box = crop_box(upright.width, upright.height, fx, fy, shape.aspect)
        renditions.update(_cut(upright.crop(box), shape, photo_id, fingerprint))
    updated = Photo.objects.filter(pk=photo_id, image=source_name, focal_x=fx, focal_y=fy).update(
        renditions=renditions
    )
    stale = set(photo.renditions.values()) - set(renditions.values())
    if not updated:  # the picture or focal point changed meanwhile; its own task runs
        stale = set(renditions.values())
        renditions = {}
    for name in stale:
        default_storage.delete(name)
    return renditions


def _cut(
    cropped: Image.Image, shape: RenditionShape, photo_id: int, fingerprint: str
) -> dict[str, str]:
    """Store one shape's widths of an already cropped picture; its keys and file names."""
    cropped = _flatten(cropped)
    made: dict[str, str] = {}
    source = cropped
    smallest = min(shape.widths)
    # Largest first, each made from the one before: far cheaper than resizing
    # the full crop five times, and LANCZOS keeps the small steps sharp.
    for width in sorted(shape.widths, reverse=True):
        if width > cropped.width and width != smallest:
            continue
        height = round(width * shape.aspect[1] / shape.aspect[0])
        resized = source.resize((width, height), Image.Resampling.LANCZOS)
        resized.info = {}
        source = resized
        for fmt in RENDITION_FORMATS:
            name = f"renditions/{photo_id}/{shape.prefix}{width}-{fingerprint}.{fmt}"
            if not default_storage.exists(name):
                buffer = io.BytesIO()
                if fmt == "webp":
                    resized.save(buffer, format="WEBP", quality=80, method=3)
                else:
                    resized.save(buffer, format="JPEG", quality=82, optimize=True, progressive=True)
                name = default_storage.save(name, ContentFile(buffer.getvalue()))
            made[f"{shape.prefix}{width}.{fmt}"] = name
    return made


def rendition_url(photo: Photo, width: int, fmt: str) -> str | None:
    """The URL of one rendition (``fmt`` is ``"webp"`` or ``"jpg"``), or None if not made."""
    name = (photo.renditions or {}).get(f"{width}.{fmt}")
    return default_storage.url(name) if name else None


def thumbnail_url(photo: Photo) -> str:
    """A small picture for lists: the 160 px rendition, else the original."""
    return rendition_url(photo, 160, "jpg") or (photo.image.url if photo.image else "")


def rendition_links(photo: Photo) -> list[tuple[str, str]]:
    """Every rendition's key and URL, shape by shape (16:9, then square), narrowest first."""
    order = {shape.prefix: n for n, shape in enumerate(RENDITION_SHAPES)}

    def sort_key(key: str) -> tuple:
        size, _dot, fmt = key.partition(".")
        prefix = size.rstrip("0123456789")
        digits = size[len(prefix) :]
        return (order.get(prefix, len(order)), int(digits) if digits.isdigit() else 0, fmt)

    return [
        (key, default_storage.url(name))
        for key, name in sorted((photo.renditions or {}).items(), key=lambda kv: sort_key(kv[0]))
        if name
    ]
