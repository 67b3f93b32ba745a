"""The desk's JSON endpoints for the article change form (``desk.editor_endpoints``).

Mounted under ``/admin/desk/`` and wrapped in the admin site's own view guard
(active staff session, CSRF on POST, never cached).
"""

from django.contrib import admin
from django.urls import path

from . import editor_endpoints as views

app_name = "desk"


def _staff(view):
    return admin.site.admin_view(view)


urlpatterns = [
    path("photos/", _staff(views.photos), name="editor-photos"),
    path("photos/upload/", _staff(views.photo_upload), name="editor-photo-upload"),
    path("articles/", _staff(views.articles), name="editor-articles"),
    path("articles/<int:pk>/autosave/", _staff(views.autosave), name="editor-autosave"),
    path(
        "articles/<int:pk>/autosave/discard/",
        _staff(views.autosave_discard),
        name="editor-autosave-discard",
    ),
]
