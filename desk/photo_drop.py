"""The drop zone that uploads several photos at once (``desk/static/desk/photo-drop.js``).

One config for both places it appears: the photo library's list page and the
body editor's "Insert photo" dialog (``desk.forms.BODY_EDITOR``). Files go one
request each to ``desk.editor_endpoints.photo_upload``, so each has its own
progress and its own refusal, and a refused file never stops the others.
"""

from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

DROP_LABELS = {
    "drop": _("Drag photos here (several at once), or"),
    "choose": _("choose files"),
    "files": _("Photos being uploaded"),
    "waiting": _("Waiting…"),
    "uploading": _("Uploading…"),
    "done": _("Uploaded as photo #%(id)s."),
    "edit": _("Edit"),
    "refused": _("Refused: %(reason)s"),
    "network": _("the connection failed; try again."),
    "summary": _("%(done)s uploaded, %(refused)s refused."),
}


def drop_zone_config() -> dict:
    """What the library page's drop zone needs: where to post, where each photo is edited."""
    return {
        "uploadUrl": reverse_lazy("desk:editor-photo-upload"),
        "changeUrl": reverse("admin:articles_photo_change", args=[0]).replace("/0/", "/__id__/"),
        "labels": DROP_LABELS,
    }
