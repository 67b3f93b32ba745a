"""The project's URLs plus one API operation that reads the database (fault tests only).

The real API's routers land with the API part; this probe proves the 503
path for any API operation without depending on which ones exist.
"""

from django.urls import path
from ninja import NinjaAPI

from newsroom.urls import handler500  # noqa: F401 - keep the project's error handler
from newsroom.urls import urlpatterns as project_urlpatterns

probe_api = NinjaAPI(urls_namespace="fault-probe", docs_url=None, openapi_url=None)


@probe_api.get("/count")
def count(request):
    from articles.models import Article

    return {"count": Article.objects.count()}


urlpatterns = [path("api/v1/_probe/", probe_api.urls), *project_urlpatterns]
