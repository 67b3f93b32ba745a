from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from . import views
from .api import api

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("subscriptions.urls")),
    path("", include("articles.urls")),
]

if settings.DEBUG:
    urlpatterns.insert(0, path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))

handler500 = "newsroom.errors.server_error"
