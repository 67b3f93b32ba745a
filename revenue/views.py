"""The desk's views: check access, read the query, build the page, render it or
export one of its tables as CSV. Everything else is in ``pages``."""

from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .pages import BUILDERS, PAGES
from .params import BadParameter, choice, local_today, output_format
from .tables import csv_response

PERMISSION = "revenue.view_desk"


def may_see_desk(user) -> bool:
    """Subscription staff and the chief editor (``core.roles``), and superusers."""
    return user.is_active and user.is_staff and user.has_perm(PERMISSION)


def desk_view(view):
    """Visitors who are not staff (signed out, or readers) go to the admin's login,
    as on every admin page; staff without the desk's permission get a 403."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not may_see_desk(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(require_safe(checked))


@desk_view
def page(request, slug: str = "overview"):
    build = BUILDERS.get(slug)
    if build is None:
        raise Http404
    try:
        fmt = output_format(request.GET)
        desk_page = build(request.GET, today=local_today(), now=timezone.now())
        if fmt == "csv":
            names = tuple(t.name for t in desk_page.tables)
            table = desk_page.table(choice(request.GET, "table", names, names[0]))
    except BadParameter as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    if fmt == "csv":
        span = f"-{desk_page.days.start}-{desk_page.days.end}" if desk_page.days else ""
        return csv_response(table, stem=f"revenue-{slug}-{table.name}{span}")
    context = {
        **admin.site.each_context(request),
        "title": desk_page.title,
        "page": desk_page,
        "pages": PAGES,
        "tables": [(t, _csv_url(request, t.name)) for t in desk_page.tables],
    }
    return TemplateResponse(request, "revenue/page.html", context)


def _csv_url(request, table: str) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    query["table"] = table
    return f"?{query.urlencode()}"
