"""The article change form's side of autosave (``articles.autosave``).

- the page carries what ``desk/static/desk/autosave.js`` needs (the endpoint
  and the version the form was opened at);
- when the editor has an autosave of this article, the form offers it:
  "Restore autosave" opens the form with the autosaved values (``?autosave=restore``),
  "Discard" forgets it; until they choose, the page does not autosave over it;
- a restored form saves against the version the autosave was based on, so the
  stale-edit check refuses it if someone saved in between.
"""

from django.urls import reverse

from articles import autosave as autosaves
from articles.models import Article

from .admin_inputs import object_id_or_404

RESTORE_PARAM = "autosave"
RESTORE_VALUE = "restore"


def _restoring(request) -> bool:
    return request.method == "GET" and request.GET.get(RESTORE_PARAM) == RESTORE_VALUE


class AutosaveAdminMixin:
    """Mixed into ``ArticleAdmin`` before ``admin.ModelAdmin``."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        if obj is None or not _restoring(request):
            return form_class
        draft = autosaves.autosave_of(article=obj, user=request.user)
        if draft is None:
            return form_class
        return type(form_class.__name__, (form_class,), {"autosave": draft})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id and request.method == "GET":
            article = (
                Article.objects.filter(pk=object_id_or_404(object_id)).only("pk", "version").first()
            )
            if article is not None:
                draft = autosaves.autosave_of(article=article, user=request.user)
                restoring = draft is not None and _restoring(request)
                extra_context["autosave"] = {
                    "url": reverse("desk:editor-autosave", args=[article.pk]),
                    "draft": draft,
                    "restored": restoring,
                    # An offer not yet taken or refused: autosaving now would replace it.
                    "paused": draft is not None and not restoring,
                    "stale": draft is not None and draft.based_on_version != article.version,
                    "current_version": article.version,
                    "restore_url": f"?{RESTORE_PARAM}={RESTORE_VALUE}",
                    "discard_url": reverse("desk:editor-autosave-discard", args=[article.pk]),
                }
        return super().changeform_view(request, object_id, form_url, extra_context)
