"""The focal point: chosen on the photo's page, previewed as the worker crops, saved, re-cut.

The preview (``desk/static/desk/focal-point.js``) repeats the server's crop
arithmetic (``articles.images.crop_box``); a test runs both on the same
cases so they cannot drift apart.
"""

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from articles import tasks
from articles.images import RENDITION_SHAPES, crop_box
from articles.models import Photo
from core.roles import EDITOR
from tests.articles.images import two_colour_picture
from tests.factories import PhotoFactory, UserFactory

pytestmark = pytest.mark.django_db

FOCAL_JS = Path(__file__).resolve().parents[2] / "desk" / "static" / "desk" / "focal-point.js"


def red_share(photo: Photo, key: str) -> float:
    with default_storage.open(photo.renditions[key], "rb") as handle:
        image = Image.open(io.BytesIO(handle.read())).convert("RGB")
    data = image.tobytes()
    pixels = [(data[i], data[i + 2]) for i in range(0, len(data), 3)]
    return sum(1 for r, b in pixels if r > b) / len(pixels)


def form_of(photo: Photo, **changes) -> dict:
    return {
        "caption": photo.caption,
        "credit": photo.credit,
        "alt_text": photo.alt_text,
        "focal_x": str(photo.focal_x),
        "focal_y": str(photo.focal_y),
        **changes,
    }


@pytest.fixture
def renditions_now(monkeypatch):
    """The worker's task, run at commit instead of queued (the real pipeline has its own test)."""
    monkeypatch.setattr(
        tasks.generate_photo_renditions, "delay", lambda pk: tasks.generate_photo_renditions(pk)
    )


def test_the_change_page_shows_the_picture_to_click_and_each_crop_to_preview(client):
    client.force_login(UserFactory(role=EDITOR))
    photo = PhotoFactory(image=ContentFile(two_colour_picture(size=(1600, 900)), name="a.jpg"))
    html = client.get(f"/en/admin/articles/photo/{photo.pk}/change/").content.decode()
    assert 'data-width="1600" data-height="900"' in html
    assert '<button type="button" class="nr-focal-picture"' in html  # focusable: arrow keys
    assert 'data-crop="16:9"' in html
    assert 'data-crop="1:1"' in html
    assert "desk/focal-point.js" in html
    assert "arrow keys" in html
    indonesian = client.get(f"/admin/articles/photo/{photo.pk}/change/").content.decode()
    assert "arrow keys" not in indonesian
    assert 'data-template="Titik fokus: %(x)s dari kiri, %(y)s dari atas."' in indonesian
    assert 'data-crop="1:1"' in indonesian


def test_saving_a_new_focal_point_stores_it_and_re_cuts_every_rendition(
    client, renditions_now, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(role=EDITOR))
    # Red on the left 30 %, blue on the right: a square crop shows one colour or the other.
    photo = PhotoFactory(
        image=ContentFile(two_colour_picture(size=(2000, 600), split=0.3), name="dua.jpg"),
        focal_x=0.9,
    )
    tasks.generate_photo_renditions(photo.pk)
    photo.refresh_from_db()
    before = dict(photo.renditions)
    assert red_share(photo, "sq320.jpg") < 0.1
    assert red_share(photo, "320.jpg") < 0.1

    url = f"/admin/articles/photo/{photo.pk}/change/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form_of(photo, focal_x="0.1", focal_y="0.4"))
    assert response.status_code == 302
    photo.refresh_from_db()
    assert (photo.focal_x, photo.focal_y) == (0.1, 0.4)
    assert set(photo.renditions) == set(before)
    assert set(photo.renditions.values()).isdisjoint(before.values())  # new files
    assert red_share(photo, "sq320.jpg") > 0.9  # the square follows the subject
    assert red_share(photo, "320.jpg") > 0.5


def test_a_focal_point_outside_the_picture_is_a_form_error_and_changes_nothing(client, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.generate_photo_renditions, "delay", queued.append)
    client.force_login(UserFactory(role=EDITOR))
    photo = PhotoFactory(focal_x=0.5, focal_y=0.5, renditions={"160.jpg": "x.jpg"})
    response = client.post(
        f"/en/admin/articles/photo/{photo.pk}/change/", form_of(photo, focal_x="1.5")
    )
    assert response.status_code == 200
    assert "less than or equal to 1" in response.content.decode()
    photo.refresh_from_db()
    assert photo.focal_x == 0.5
    assert photo.renditions == {"160.jpg": "x.jpg"}
    assert queued == []


CASES = [
    (w, h, fx, fy)
    for w, h in ((2000, 600), (600, 2000), (1600, 900), (1601, 899), (1000, 1000), (37, 101))
    for fx, fy in ((0, 0), (0.5, 0.5), (1, 1), (0.123, 0.877), (0.9, 0.2))
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node to run the admin's script")
def test_the_preview_crops_exactly_where_the_worker_crops():
    """focal-point.js's cropBox against articles.images.crop_box, for every shape."""
    script = (
        "const src = require('fs').readFileSync(process.argv[1], 'utf8');"
        "import('data:text/javascript,' + encodeURIComponent(src)).then((m) => {"
        "  const cases = JSON.parse(process.argv[2]);"
        "  console.log(JSON.stringify(cases.map(([w, h, fx, fy, a]) => {"
        "    const b = m.cropBox(w, h, fx, fy, a); return [b.left, b.top, b.width, b.height] })))"
        "})"
    )
    cases = [(*case, list(shape.aspect)) for case in CASES for shape in RENDITION_SHAPES]
    result = subprocess.run(  # noqa: S603 - our own script, our own arguments
        ["node", "-e", script, str(FOCAL_JS), json.dumps(cases)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    from_js = json.loads(result.stdout)
    expected = []
    for w, h, fx, fy, aspect in cases:
        left, top, right, bottom = crop_box(w, h, fx, fy, tuple(aspect))
        expected.append([left, top, right - left, bottom - top])
    assert from_js == expected
