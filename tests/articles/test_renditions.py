"""Renditions: 16:9 and square crops around the focal point, upright, without metadata."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from articles import services, tasks
from articles.images import crop_box, rendition_url
from articles.models import Photo
from tests.factories import PhotoFactory, UserFactory

from .images import gps_exif, picture, two_colour_picture

pytestmark = pytest.mark.django_db


def open_rendition(photo: Photo, key: str) -> Image.Image:
    with default_storage.open(photo.renditions[key], "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


def red_share(image: Image.Image) -> float:
    data = image.convert("RGB").tobytes()
    pixels = [(data[i], data[i + 2]) for i in range(0, len(data), 3)]
    return sum(1 for r, b in pixels if r > b) / len(pixels)


def test_crop_box_is_16_9_and_stays_inside_the_picture():
    assert crop_box(2000, 600, 0.0, 0.5) == (0, 0, 1067, 600)
    assert crop_box(2000, 600, 1.0, 0.5) == (933, 0, 2000, 600)
    assert crop_box(1600, 1600, 0.5, 0.5) == (0, 350, 1600, 1250)


def test_crop_box_square_is_centred_on_the_focal_point_as_far_as_it_fits():
    assert crop_box(2000, 600, 0.5, 0.5, (1, 1)) == (700, 0, 1300, 600)
    assert crop_box(2000, 600, 0.1, 0.5, (1, 1)) == (0, 0, 600, 600)
    assert crop_box(600, 2000, 0.5, 0.9, (1, 1)) == (0, 1400, 600, 2000)


def test_the_task_makes_every_width_in_webp_and_jpeg_cropped_16_9_and_square():
    photo = PhotoFactory(image=ContentFile(picture(size=(1600, 1000)), name="lebar.jpg"))
    tasks.generate_photo_renditions(photo.pk)
    photo.refresh_from_db()
    assert set(photo.renditions) == {
        f"{w}.{fmt}" for w in (160, 320, 640, 960, 1280) for fmt in ("webp", "jpg")
    } | {f"sq{w}.{fmt}" for w in (160, 320, 640) for fmt in ("webp", "jpg")}
    for key in photo.renditions:
        size, fmt = key.split(".")
        width = int(size.removeprefix("sq"))
        image = open_rendition(photo, key)
        square = size.startswith("sq")
        assert image.size == (width, width if square else width * 9 // 16)
        assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[fmt]
    assert rendition_url(photo, 640, "webp").startswith("/media/renditions/")
    assert rendition_url(photo, 2000, "webp") is None


def test_a_small_picture_is_not_upscaled_but_keeps_the_smallest_size():
    photo = PhotoFactory(image=ContentFile(picture(size=(500, 400)), name="kecil.jpg"))
    tasks.generate_photo_renditions(photo.pk)
    photo.refresh_from_db()
    assert sorted(photo.renditions) == [
        "160.jpg",
        "160.webp",
        "320.jpg",
        "320.webp",
        "sq160.jpg",
        "sq160.webp",
        "sq320.jpg",
        "sq320.webp",
    ]


@pytest.mark.parametrize(("focal_x", "red"), [(0.1, True), (0.9, False)])
def test_the_crop_follows_the_focal_point(focal_x, red):
    # Red on the left 40 %, blue on the right: the crop shows the side the focal point is on.
    photo = PhotoFactory(
        image=ContentFile(two_colour_picture(size=(2000, 600), split=0.4), name="dua.jpg"),
        focal_x=focal_x,
    )
    tasks.generate_photo_renditions(photo.pk)
    photo.refresh_from_db()
    share = red_share(open_rendition(photo, "320.jpg"))
    assert share > 0.7 if red else share < 0.3


def test_renditions_are_upright_and_carry_no_metadata():
    raw = picture(size=(1200, 400), exif=gps_exif(orientation=6))
    photo = PhotoFactory(image=ContentFile(raw, name="gps.jpg"))
    tasks.generate_photo_renditions(photo.pk)
    photo.refresh_from_db()
    assert photo.renditions
    for key, name in photo.renditions.items():
        with default_storage.open(name, "rb") as handle:
            data = handle.read()
        assert b"KameraRahasia" not in data, key
        image = Image.open(io.BytesIO(data))
        exif = image.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo), key
        assert ExifTags.Base.Orientation not in exif, key
        assert "exif" not in image.info, key
        assert "icc_profile" not in image.info, key
    # Upright the picture is 400 × 1200 (portrait): its 16:9 and square crops are 400 wide.
    assert sorted(photo.renditions) == [
        "160.jpg",
        "160.webp",
        "320.jpg",
        "320.webp",
        "sq160.jpg",
        "sq160.webp",
        "sq320.jpg",
        "sq320.webp",
    ]


def test_running_twice_reuses_the_files_and_a_new_focal_point_replaces_them():
    photo = PhotoFactory(image=ContentFile(picture(size=(1600, 1000)), name="ulang.jpg"))
    assert tasks.generate_photo_renditions(photo.pk) is None  # the task only hands over
    photo.refresh_from_db()
    names = dict(photo.renditions)
    tasks.generate_photo_renditions(photo.pk)
    photo.refresh_from_db()
    assert photo.renditions == names
    Photo.objects.filter(pk=photo.pk).update(focal_x=0.9)
    tasks.generate_photo_renditions(photo.pk)
    photo.refresh_from_db()
    assert set(photo.renditions.values()).isdisjoint(names.values())
    assert not any(default_storage.exists(name) for name in names.values())


def test_a_deleted_photo_is_ignored():
    tasks.generate_photo_renditions(987654)


def test_upload_and_focal_change_enqueue_the_task_after_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.generate_photo_renditions, "delay", queued.append)
    reporter = UserFactory(role="Reporter")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        photo = services.photo_create(
            by=reporter,
            image=SimpleUploadedFile("baru.jpg", picture()),
            caption="Foto baru",
            credit="Uji",
            alt_text="Foto",
        )
    assert queued == []  # nothing before the commit: the worker must find the row
    for callback in callbacks:
        callback()
    assert queued == [photo.pk]
    assert photo.uploaded_by == reporter

    photo.focal_x = 0.2
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_save(photo=photo, by=reporter, regenerate=True)
    assert queued == [photo.pk, photo.pk]


def test_the_admin_enqueues_renditions_on_upload_and_focal_change_only(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.generate_photo_renditions, "delay", queued.append)
    client.force_login(UserFactory(role="Editor"))
    form = {
        "caption": "Pasar",
        "credit": "Uji",
        "alt_text": "Pasar",
        "focal_x": "0.5",
        "focal_y": "0.5",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/articles/photo/add/",
            {**form, "image": SimpleUploadedFile("pasar.png", picture(fmt="PNG"))},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    photo = Photo.objects.get()
    assert photo.image.name.endswith(".png")
    assert photo.width == 800
    assert queued == [photo.pk]
    url = f"/admin/articles/photo/{photo.pk}/change/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form, "caption": "Pasar pagi"})
    assert response.status_code == 302
    assert queued == [photo.pk]  # a caption edit keeps the renditions
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form, "focal_x": "0.8"})
    assert response.status_code == 302
    assert queued == [photo.pk, photo.pk]


@pytest.mark.worker
def test_an_upload_gets_its_renditions_from_a_real_worker(celery_worker_process):
    from tests.conftest import wait_for

    photo = services.photo_create(
        by=None,
        image=SimpleUploadedFile("pekerja.jpg", picture(size=(1600, 1000))),
        caption="Dibuat oleh pekerja",
        credit="Uji",
        alt_text="Foto",
    )
    renditions = wait_for(lambda: Photo.objects.get(pk=photo.pk).renditions, timeout=60)
    assert "1280.webp" in renditions
    assert default_storage.exists(renditions["640.jpg"])
