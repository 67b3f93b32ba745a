from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The editor's desk: the editorial admin and the editor API."""

    name = "desk"
    verbose_name = _("Editor's desk")
