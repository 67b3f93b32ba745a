"""Small JSON endpoints behind the article change form, for staff only.

- ``photos``: the photo picker's search of the library (with thumbnails);
- ``photo_upload``: a new photo uploaded from inside the picker;
- ``articles``: the "Read also" autocomplete (published articles by headline);
- ``autosave`` / ``autosave_discard``: the change form's draft revision.

Each is wrapped in ``admin_site.admin_view`` (``desk.urls``): an active staff
session, CSRF-checked on POST, never cached. Each then asks the permission the
admin asks for the same thing, and writes go through the services
(``articles.services.photo_create``, ``articles.autosave``). Bad input is a
400 naming what is wrong, in the shape of the API's errors
(``core.api_http.error_payload``).
"""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from articles import autosave as autosaves
from articles import services
from articles.models import Article, Photo
from core.api_http import error_payload
from core.rate_limits import rate_hit

from .editor_blocks import article_choice, photo_choice
from .forms import AUTOSAVED_FIELDS

PHOTO_RESULTS = 24
ARTICLE_RESULTS = 10
QUERY_MAX = 100
# Autosave runs every 30 s and on leaving the page; a burst above this is a bug or abuse.
AUTOSAVES_PER_MINUTE = 12


def _error(status: int, code: str, message: str, **details) -> JsonResponse:
    return JsonResponse(
        error_payload(code=code, message=message, details=details or None), status=status
    )


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _query(request) -> str | None:
    query = request.GET.get("q", "")
    if len(query) > QUERY_MAX or "\x00" in query:
        return None
    return " ".join(query.split())


def photos(request):
    """Library photos matching ``q`` (caption, credit, alt text, agency, ``#id``), newest first."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    _require(request, "articles.view_photo")
    query = _query(request)
    if query is None:
        return _error(400, "invalid_query", _("The search is too long."))
    found = Photo.objects.select_related("agency")
    if query:
        ident = query.lstrip("#")
        match = (
            Q(caption__icontains=query)
            | Q(credit__icontains=query)
            | Q(alt_text__icontains=query)
            | Q(agency__name__icontains=query)
        )
        if ident.isascii() and ident.isdigit() and len(ident) <= 12:
            match |= Q(pk=int(ident))
        found = found.filter(match)
    results = [
        photo_choice(photo) for photo in found.order_by("-uploaded_at", "-pk")[:PHOTO_RESULTS]
    ]
    return JsonResponse({"results": results})


def photo_upload(request):
    """Upload one photo (the admin's rules: ``articles.images.validate_upload``); 201 with it.

    One file a request: the drop zone (``desk/static/desk/photo-drop.js``) sends
    several files as several requests, so each has its own progress and a
    refused file (400 naming the reason, ``details.file`` and ``details.reason``)
    leaves the others alone. A refused file writes nothing: no row, no stored file.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _require(request, "articles.add_photo")
    image = request.FILES.get("image")
    if image is None:
        return _error(400, "invalid_input", _("Choose an image file to upload."))
    text = {name: request.POST.get(name, "") for name in ("caption", "credit", "alt_text")}
    name = str(image.name or "")[:200]
    if any("\x00" in value for value in text.values()):
        return _error(400, "invalid_input", _("NUL characters are not allowed."), file=name)
    try:
        photo = services.photo_create(
            by=request.user,
            image=image,
            caption=text["caption"][:5000],
            credit=text["credit"][:200],
            alt_text=text["alt_text"][:300],
        )
    except ValidationError as error:
        found = getattr(error, "error_list", None) or [
            item for items in error.error_dict.values() for item in items
        ]
        codes = [item.code for item in found if item.code]
        return _error(
            400,
            "invalid_image",
            " ".join(error.messages),
            file=name,
            reason=codes[0] if codes else "invalid",
        )
    photo = Photo.objects.select_related("agency").get(pk=photo.pk)
    return JsonResponse(photo_choice(photo), status=201)


def articles(request):
    """Published articles whose headline contains ``q`` (two characters or more), newest first."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    _require(request, "articles.view_article")
    query = _query(request)
    if query is None:
        return _error(400, "invalid_query", _("The search is too long."))
    if len(query) < 2:
        return JsonResponse({"results": []})
    found = Article.objects.published().filter(headline__icontains=query)
    exclude = request.GET.get("exclude", "")
    if exclude.isascii() and exclude.isdigit() and len(exclude) <= 12:
        found = found.exclude(pk=int(exclude))
    found = found.select_related("section").order_by("-published_at", "-pk")[:ARTICLE_RESULTS]
    return JsonResponse({"results": [article_choice(article) for article in found]})


def _editable(request, pk: int) -> Article:
    article = get_object_or_404(
        Article.objects.only("pk", "status", "created_by", "version"), pk=pk
    )
    if not services.can_edit(request.user, article):
        raise PermissionDenied
    return article


def autosave(request, pk: int):
    """Keep the change form's unsaved fields as ``request.user``'s draft revision.

    JSON body: ``{"based_on_version": <the version the form was opened at>,
    "fields": {<name>: <value or list of values>}}``. 200 when kept; 409
    ``version_conflict`` when the article was saved since; 429 when autosaving
    faster than a form ever does.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _editable(request, pk)
    decision = rate_hit(f"autosave:{request.user.pk}:{pk}", limit=AUTOSAVES_PER_MINUTE)
    if not decision.allowed:
        response = _error(429, "rate_limited", _("Autosaving too often; try again shortly."))
        response["Retry-After"] = str(decision.retry_after)
        return response
    try:
        payload = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "invalid_json", _("The autosave is not valid JSON."))
    if not isinstance(payload, dict):
        return _error(400, "invalid_json", _("The autosave must be a JSON object."))
    version = payload.get("based_on_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return _error(
            400, "invalid_version", _("“based_on_version” must be the version you are editing.")
        )
    try:
        fields = autosaves.clean_fields(payload.get("fields"), allowed=AUTOSAVED_FIELDS)
        draft = autosaves.autosave_store(
            article_id=pk,
            by=request.user,
            based_on_version=version,
            fields=fields,
            now=timezone.now(),
        )
    except autosaves.AutosaveConflict as conflict:
        return _error(
            409,
            "version_conflict",
            str(conflict),
            current_version=conflict.current_version,
            based_on_version=conflict.based_on_version,
        )
    except ValidationError as error:
        return _error(400, "invalid_input", " ".join(error.messages))
    saved_at = timezone.localtime(draft.saved_at)
    return JsonResponse(
        {
            "saved_at": saved_at.isoformat(),
            "based_on_version": draft.based_on_version,
            "message": _("Draft autosaved at %(time)s.") % {"time": f"{saved_at:%H:%M:%S}"},
        }
    )


def autosave_discard(request, pk: int):
    """Forget the user's autosave of the article ("Discard" on the change form)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    article = get_object_or_404(Article.objects.only("pk"), pk=pk)
    if autosaves.autosave_discard(article_id=article.pk, user=request.user):
        messages.success(request, _("The autosaved version was discarded."))
    return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))
