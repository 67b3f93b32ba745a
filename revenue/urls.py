"""The desk under /admin/revenue/ (``newsroom.urls`` mounts it before the admin)."""

from django.urls import path

from . import views

app_name = "revenue"

urlpatterns = [
    path("", views.page, name="overview"),
    path("<slug:slug>/", views.page, name="page"),
]
