"""The JSON API object. Each app adds its router here.

``urls`` (used by ``newsroom.urls``) wraps ninja's views with the shared HTTP
behaviour of ``core.api_http`` and answers unknown paths in the error shape.
"""

from django.urls import URLPattern, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from core.api_http import api_view, install_error_handlers, unknown_path

from .ratelimit import ApiRateLimit

api = NinjaAPI(
    title="Newsroom API",
    version="1.0.0",
    description=(
        "Public content, the reader's subscription and editor endpoints.\n\n"
        'Errors always read `{"error": {"code", "message", "details"}}`. '
        "Send `Authorization: Bearer nr_…` with a personal token (scopes `read`, "
        "`write`, `publish`), or use the site's session. Requests are rate limited "
        "per client address (anonymous) or per token; past the limit the answer is "
        "429 with `Retry-After`. GET responses carry an ETag; send it back in "
        "`If-None-Match` for a 304."
    ),
    urls_namespace="api",
    throttle=[ApiRateLimit()],
)
install_error_handlers(api)


def _add_routers() -> None:
    from apitokens.api import router as tokens_router
    from desk.api import router as editor_router
    from subscriptions.api import plans_router
    from subscriptions.api import router as reader_router
    from website.api import router as content_router

    api.add_router("/", content_router)
    api.add_router("/", plans_router)
    api.add_router("/", reader_router)
    api.add_router("/", tokens_router)
    api.add_router("/editor", editor_router)


_add_routers()


def _wrapped_urls():
    patterns, app_name, namespace = api.urls
    wrapped = [
        URLPattern(p.pattern, api_view(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]
    wrapped.append(re_path(r"^(?P<rest>.*)$", csrf_exempt(unknown_path)))
    return wrapped, app_name, namespace


urls = _wrapped_urls()
