from django.urls import path, register_converter

from . import views


class FourDigit:
    regex = r"[0-9]{4}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


class TwoDigit(FourDigit):
    regex = r"[0-9]{2}"


register_converter(FourDigit, "yyyy")
register_converter(TwoDigit, "nn")

app_name = "website"
urlpatterns = [
    path("", views.home, name="home"),
    path("rubrik/<slug:slug>/", views.section, name="section"),
    path("topik/<slug:slug>/", views.topic, name="topic"),
    path("penulis/<slug:slug>/", views.author, name="author"),
    path("foto/<slug:slug>/", views.gallery, name="gallery"),
    path("search/", views.search, name="search"),
    path("halaman/<slug:slug>/", views.static_page, name="page"),
    path("preview/<int:pk>/", views.preview, name="preview"),
    path("keluar/", views.signout, name="signout"),
    path(
        "<slug:section>/<yyyy:year>/<nn:month>/<nn:day>/<int:pk>/<slug:slug>/",
        views.article_detail,
        name="detail",
    ),
]
