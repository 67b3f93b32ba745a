"""The admin site: its front page is the desk of whoever signs in.

``NewsroomAdminConfig`` (``desk.apps``) makes this the default site, so every
app's ``@admin.register`` lands here unchanged. The index shows the desk
panels of the user's roles (``desk.desks``) above the usual model list
("All content"). The desk's retry buttons post here and call the functions
the beat sweep calls: ``pipeline.publish_if_due`` for a late article,
``effects.retry_run`` for a failed side effect.
"""

from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse, translate_url
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from publishing import effects, pipeline
from publishing.models import SideEffectRun

from . import desks

# Names the revenue desk (app ``revenue``) may register its page under; the
# first that resolves is linked from the subscription staff's desk.
REVENUE_URL_NAMES = ("revenue:overview",)


def revenue_desk_url() -> str | None:
    """The revenue desk's address when the ``revenue`` app is installed, else None."""
    if not apps.is_installed("revenue"):
        return None
    for name in REVENUE_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


class NewsroomAdminSite(admin.AdminSite):
    index_template = "admin/desk/index.html"
    index_title = _("Desk")

    def index(self, request, extra_context=None):
        desk = desks.desk_for(request.user, now=timezone.now())
        extra_context = {
            "desk": desk,
            "panels": desk.panels,
            "revenue_url": revenue_desk_url() if "webhooks" in desk.panels else None,
            "can_retry_late": request.user.has_perm("articles.publish_article"),
            "can_retry_runs": request.user.has_perm("pipeline.change_sideeffectrun"),
            "other_languages": [
                (code, name, translate_url(request.path, code))
                for code, name in settings.LANGUAGES
                if code != get_language()
            ],
            **(extra_context or {}),
        }
        return super().index(request, extra_context)

    def get_urls(self):
        own = [
            path(
                "desk/retry/article/<int:pk>/",
                self.admin_view(self.retry_late_article),
                name="desk_retry_article",
            ),
            path(
                "desk/retry/effect/<int:pk>/",
                self.admin_view(self.retry_side_effect),
                name="desk_retry_effect",
            ),
        ]
        return own + super().get_urls()

    def _back(self):
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))

    def retry_late_article(self, request, pk: int):
        """Publish a late article now, as the sweep would (only if it is still due)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("articles.publish_article"):
            raise PermissionDenied
        try:
            published = pipeline.publish_if_due(article_id=pk, now=timezone.now())
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, _("Not published: %(reason)s") % {"reason": text})
        else:
            if published:
                messages.success(request, _("The article is published."))
            else:
                messages.info(
                    request, _("Nothing to do: the article is no longer scheduled and due.")
                )
        return self._back()

    def retry_side_effect(self, request, pk: int):
        """Run a failed side effect again (the admin's "Run again" action, one run)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("pipeline.change_sideeffectrun"):
            raise PermissionDenied
        run = SideEffectRun.objects.filter(pk=pk).first()
        if run is None or run.status == SideEffectRun.Status.DONE:
            messages.info(request, _("Nothing to do: that side effect has already run."))
        else:
            effects.retry_run(run_id=pk)
            messages.success(request, _("Sent to the worker again."))
        return self._back()
