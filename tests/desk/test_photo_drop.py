"""Several photos at once: the drop zone's uploads, each accepted or refused on its own.

The drop zone (``desk/static/desk/photo-drop.js``) sends each file as its own
request to the picker's upload endpoint; these tests make those requests the
way it does and check what an editor would see: the good files in the
library with their renditions on the way, the bad one named with its reason,
and nothing half-written for it.
"""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from articles import tasks
from articles.models import Photo
from core.roles import EDITOR, REPORTER
from tests.articles.images import picture, png_claiming
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/desk/photos/upload/"
LIBRARY = "/admin/articles/photo/"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9"/></svg>'


def stored_files() -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def drop(client, files: list[tuple[str, bytes]], **fields):
    """What the drop zone does: one POST a file, the same caption/credit/alt for each."""
    return [
        client.post(UPLOAD, {"image": SimpleUploadedFile(name, data), **fields})
        for name, data in files
    ]


def test_several_files_upload_one_refused_the_others_stored(
    client, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.generate_photo_renditions, "delay", queued.append)
    reporter = UserFactory(role=REPORTER)
    client.force_login(reporter)
    files = [
        ("dermaga.jpg", picture(size=(1200, 800))),
        ("logo.svg", SVG),
        ("bom.png", png_claiming(100_000, 100_000)),
        ("pasar.png", picture(size=(900, 600), fmt="PNG")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        responses = drop(client, files, caption="Pelabuhan", credit="Rina", alt_text="Dermaga")

    assert [r.status_code for r in responses] == [201, 400, 400, 201]
    svg, bomb = responses[1].json()["error"], responses[2].json()["error"]
    assert svg["details"] == {"file": "logo.svg", "reason": "svg"}
    assert "SVG" in svg["message"]
    assert bomb["details"] == {"file": "bom.png", "reason": "too_many_pixels"}
    assert "piksel" in bomb["message"]  # the admin speaks Indonesian at /admin/

    stored = Photo.objects.order_by("pk")
    assert [p.pk for p in stored] == [responses[0].json()["id"], responses[3].json()["id"]]
    assert {(p.caption, p.credit, p.alt_text, p.uploaded_by) for p in stored} == {
        ("Pelabuhan", "Rina", "Dermaga", reporter)
    }
    assert queued == [p.pk for p in stored]  # renditions on the way for each stored photo
    # Nothing half-written for the refused files: only the two accepted originals on disk.
    assert stored_files() == sorted(p.image.name for p in stored)


def test_a_refused_file_says_which_and_why_in_indonesian_by_default(client):
    client.force_login(UserFactory(role=REPORTER))
    (response,) = drop(client, [("logo.svg", SVG)])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["details"]["file"] == "logo.svg"
    assert "SVG" in error["message"]
    assert "not accepted" not in error["message"]  # the admin's language: Indonesian
    assert not Photo.objects.exists()


def test_the_library_offers_the_drop_zone_with_its_file_input_and_translated_labels(client):
    client.force_login(UserFactory(role=EDITOR))
    html = client.get(LIBRARY).content.decode()
    assert 'data-photo-drop="nr-photo-drop-config"' in html
    assert "desk/photo-drop.js" in html
    assert '"uploadUrl": "/admin/desk/photos/upload/"' in html
    assert '"changeUrl": "/admin/articles/photo/__id__/change/"' in html
    assert "Drag photos here" not in html  # Indonesian at /admin/
    english = client.get("/en" + LIBRARY).content.decode()
    assert "Drag photos here (several at once), or" in english
    assert '"uploadUrl": "/en/admin/desk/photos/upload/"' in english


def test_the_library_has_no_drop_zone_for_staff_who_may_not_add_photos(client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_photo"))
    client.force_login(viewer)
    response = client.get(LIBRARY)
    assert response.status_code == 200
    assert "data-photo-drop" not in response.content.decode()


def test_the_insert_photo_dialog_gets_the_drop_zone_labels(client):
    client.force_login(UserFactory(role=REPORTER))
    html = client.get("/en/admin/articles/article/add/").content.decode()
    assert "dropLabels" in html
    assert "Drag photos here (several at once), or" in html
