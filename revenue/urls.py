"""The desk under /admin/revenue/ (``newsroom.urls`` mounts it before the admin;
any other path there, like the index entry's /admin/revenue/desk/, is the admin's)."""

from django.urls import path

from . import views
from .pages import PAGES

app_name = "revenue"

urlpatterns = [path("", views.page, name="overview")] + [
    path(f"{slug}/", views.page, {"slug": slug}, name=slug) for slug, _label in PAGES[1:]
]
