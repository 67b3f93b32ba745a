from django.urls import path

from . import views

app_name = "pipeline"
urlpatterns = [
    path("status/", views.status, name="status"),
    path("articles/<int:article_id>/log/", views.article_log, name="article_log"),
]
