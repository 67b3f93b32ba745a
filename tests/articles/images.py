"""Pictures made in memory for the upload and rendition tests."""

import io
import os
import struct
import zlib

from PIL import ExifTags, Image


def picture(*, size=(800, 500), fmt="JPEG", color=(30, 90, 140), exif=None, **options) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    if fmt == "GIF":
        image = image.convert("P")
    if exif is not None:
        options["exif"] = exif
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def two_colour_picture(*, size=(1600, 900), split=0.5, fmt="JPEG", exif=None) -> bytes:
    """Red on the left of ``split`` (as a fraction of the width), blue on the right."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, int(size[0] * split), size[1]))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=95, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "KameraRahasia"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (6.0, 10.0, 30.0),
    }
    return exif


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def animated_gif(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (60, 40), (i * 80, 0, 0)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=100)
    return buffer.getvalue()


def noise_png(size=(1200, 900)) -> bytes:
    """A PNG that does not compress: random pixels."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, format="PNG")
    return buffer.getvalue()
