"""Photo uploads: judged by content, capped in bytes and pixels, cleaned before storage."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from articles.images import validate_upload
from articles.models import Photo
from tests.factories import UserFactory

from .images import animated_gif, gps_exif, noise_png, picture, png_claiming

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)

# Messages are read by their English text (the Indonesian admin: tests/desk/test_admin_language.py).
pytestmark = pytest.mark.usefixtures("english")


def upload(data: bytes, name: str = "foto.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def refusal(data: bytes, name: str = "foto.jpg") -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(data, name))
    return caught.value


@pytest.mark.parametrize(
    ("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_the_four_formats_are_accepted_by_content_whatever_the_name(fmt, ext):
    cleaned = validate_upload(upload(picture(fmt=fmt), name="kiriman.bin"))
    assert cleaned.name == f"kiriman.{ext}"
    assert Image.open(io.BytesIO(cleaned.read())).format == fmt


def test_a_text_file_named_like_a_photo_is_refused():
    assert refusal(b"just some words, not a picture " * 10).code == "format"


@pytest.mark.parametrize("name", ["logo.svg", "logo.png"])
def test_svg_is_refused_whatever_the_name(name):
    error = refusal(SVG, name)
    assert error.code == "svg"
    assert "SVG" in error.messages[0]


def test_other_image_formats_are_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, format="BMP")
    error = refusal(buffer.getvalue())
    assert error.code == "format"
    assert "BMP" in error.messages[0]


def test_a_file_over_the_byte_cap_is_refused_with_the_limit(settings):
    settings.PHOTO_MAX_BYTES = 10_000
    data = noise_png(size=(200, 200))
    assert len(data) > 10_000
    error = refusal(data, "besar.png")
    assert error.code == "too_large"
    assert "at most 9" in error.messages[0]


def test_a_picture_over_the_pixel_cap_is_refused(settings):
    settings.PHOTO_MAX_PIXELS = 100_000
    error = refusal(picture(size=(500, 300)))
    assert error.code == "too_many_pixels"
    assert "0.1 million" in error.messages[0]


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    # 100,000 × 100,000 pixels claimed by a file of a few hundred bytes.
    error = refusal(png_claiming(100_000, 100_000), "bom.png")
    assert error.code == "too_many_pixels"


def test_a_bomb_just_over_our_cap_but_under_pillows_is_refused(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    assert refusal(png_claiming(2_000, 2_000), "bom.png").code == "too_many_pixels"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_a_truncated_file_is_refused(fmt):
    data = picture(size=(600, 400), fmt=fmt, color=None)
    error = refusal(data[: len(data) // 2])
    assert error.code in {"truncated", "format"}


@pytest.mark.parametrize(
    ("fmt", "tail"),
    [
        ("JPEG", b"PK\x03\x04" + b"\x00" * 26 + b"payload.php"),
        ("PNG", b"\x01\x02\x03 hidden archive bytes"),
        ("GIF", b"PK\x03\x04 zipped"),
        ("WEBP", b"\x00\x00extra junk after the riff"),
    ],
)
def test_a_picture_with_data_appended_is_refused_as_a_polyglot(fmt, tail):
    error = refusal(picture(fmt=fmt) + tail)
    assert error.code == "polyglot"


def test_a_picture_carrying_script_or_page_markup_is_refused():
    with_comment = picture(fmt="JPEG", comment=b"<script>alert(document.cookie)</script>")
    assert refusal(with_comment).code == "polyglot"
    html_first = b"<html><body>" + picture()
    assert refusal(html_first).code in {"svg", "polyglot"}


def test_the_stored_copy_is_upright_and_has_no_metadata():
    data = picture(size=(400, 200), exif=gps_exif(orientation=6))
    assert b"KameraRahasia" in data
    cleaned = validate_upload(upload(data)).read()
    image = Image.open(io.BytesIO(cleaned))
    assert image.size == (200, 400)  # rotated by the orientation tag
    exif = image.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert ExifTags.Base.Orientation not in exif
    assert b"KameraRahasia" not in cleaned


def test_an_animated_gif_keeps_its_frames():
    cleaned = validate_upload(upload(animated_gif(frames=3), "anim.gif")).read()
    assert Image.open(io.BytesIO(cleaned)).n_frames == 3


@pytest.mark.django_db
def test_the_admin_form_shows_a_clear_error_for_a_bomb_and_stores_nothing(client):
    client.force_login(UserFactory(role="Reporter"))
    response = client.post(
        "/admin/articles/photo/add/",
        {
            "image": SimpleUploadedFile("bom.png", png_claiming(100_000, 100_000)),
            "caption": "Bom",
            "credit": "Uji",
            "alt_text": "Bom",
            "focal_x": "0.5",
            "focal_y": "0.5",
        },
    )
    assert response.status_code == 200
    assert "too many pixels" in response.content.decode()
    assert not Photo.objects.exists()


@pytest.mark.django_db
def test_the_admin_form_refuses_svg_with_a_reason(client):
    client.force_login(UserFactory(role="Reporter"))
    response = client.post(
        "/admin/articles/photo/add/",
        {"image": SimpleUploadedFile("logo.svg", SVG), "focal_x": "0.5", "focal_y": "0.5"},
    )
    assert response.status_code == 200
    assert "SVG" in response.content.decode()
    assert not Photo.objects.exists()
