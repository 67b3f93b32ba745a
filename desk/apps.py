from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The editor's desk: the editorial admin and the editor API."""

    default = True
    name = "desk"
    verbose_name = _("Editor's desk")


class NewsroomAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the desk as its site (``desk.site``)."""

    default = False  # listed by its path in INSTALLED_APPS; "desk" is DeskConfig
    default_site = "desk.site.NewsroomAdminSite"
