"""The editorial admin: articles with workflow buttons, revisions, the photo library.

Every write goes through a service the API uses too: saving an article and
restoring a revision through ``publishing.actions.save_article`` /
``restore_revision`` (``articles.services`` underneath, with its revision and
the concurrent-edit check, and a changed time kept in step with the
pipeline); each workflow transition (buttons on the article page and
changelist actions) through ``publishing.actions``; uploading a photo through
``articles.services``. Row-level rules (a reporter edits only their own
drafts) come from the services too, so the admin cannot drift from the API.
"""

from datetime import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from analytics.attribution import article_funnel, with_conversions
from analytics.models import Attribution
from articles import revisions, services
from articles.images import RENDITION_SHAPES, rendition_links, thumbnail_url
from articles.models import (
    Agency,
    Article,
    Author,
    Gallery,
    GalleryPhoto,
    Photo,
    RelatedArticle,
    Revision,
    Section,
    Topic,
)
from articles.sanitize import shortcode_for_article, shortcode_for_photo
from core.redirects import safe_next_url
from paywall.funnel import Event
from publishing import actions
from subscriptions.templatetags.money import idr

from .admin_inputs import RefusesBadInput, object_id_or_404
from .autosave_admin import AutosaveAdminMixin
from .forms import ArticleAdminForm, PhotoAdminForm, RevisionCompareForm
from .photo_drop import drop_zone_config

Status = Article.Status
SHAPE_LABELS = {"": _("16:9 (pages)"), "sq": _("square (cards)")}
PREVIEW_AS = ("anonymous", "registered", "premium")
PREVIEW_LABELS = {
    "anonymous": _("as anonymous reader"),
    "registered": _("as registered reader"),
    "premium": _("as premium subscriber"),
}


def _thumb(photo: Photo | None, *, width: int = 80):
    if photo is None:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" width="{}" style="height:auto;max-height:{}px;object-fit:cover">',
        thumbnail_url(photo),
        photo.alt_text,
        width,
        width,
    )


def preview_url(article_id: int, as_: str) -> str:
    """The reader-site preview of a draft (built by the site; URL name ``articles:preview``)."""
    try:
        base = reverse("website:preview", kwargs={"pk": article_id})
    except NoReverseMatch:
        base = f"/preview/{article_id}/"
    return f"{base}?as={as_}"


# --- Workflow (the actions are publishing.actions) --------------------------------


def _parse_local(value: str) -> datetime | None:
    """A ``datetime-local`` input, read in the newsroom's time zone."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment


def _errors(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do that.")


def _bulk_action(action: str, description: str):
    def run(modeladmin, request, queryset):
        done, failed = 0, []
        now = timezone.now()
        for pk, headline in queryset.values_list("pk", "headline"):
            try:
                actions.action_named(action).execute(article_id=pk, by=request.user, now=now)
                done += 1
            except (ValidationError, PermissionDenied) as error:
                failed.append(f"“{headline}”: {_errors(error)}")
        if done:
            modeladmin.message_user(request, _("%(n)d article(s) done.") % {"n": done})
        for line in failed:
            modeladmin.message_user(request, line, level=messages.ERROR)

    run.__name__ = f"{action}_selected"
    run.short_description = description
    return run


# --- Articles -----------------------------------------------------------------


class RelatedArticleFormSet(BaseInlineFormSet):
    """Refuse on the form what the service would refuse: itself, or one story twice."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            related = data.get("related")
            if data.get("DELETE") or related is None:
                continue
            if self.instance.pk is not None and related.pk == self.instance.pk:
                form.add_error("related", _("An article cannot be related to itself."))
            elif related.pk in seen:
                form.add_error("related", _("This article is already in the list."))
            seen.add(related.pk)


class RelatedArticleInline(admin.TabularInline):
    model = RelatedArticle
    formset = RelatedArticleFormSet
    fk_name = "article"
    fields = ("position", "related")
    autocomplete_fields = ("related",)
    extra = 1
    verbose_name = _("related article")
    verbose_name_plural = _("related articles (in this order; topics fill the rest)")


@admin.register(Article)
class ArticleAdmin(AutosaveAdminMixin, RefusesBadInput, admin.ModelAdmin):
    form = ArticleAdminForm
    list_display = (
        "thumbnail",
        "headline",
        "section",
        "status",
        "access_level",
        "byline",
        "published_at",
        "conversions",
        "credited_revenue",
    )
    list_display_links = ("headline",)
    list_select_related = ("section", "lead_photo")
    list_filter = ("status", "access_level", "section", "is_editors_pick", "topics")
    search_fields = ("headline", "dek", "slug", "=id")
    date_hierarchy = "published_at"
    autocomplete_fields = (
        "section",
        "topics",
        "authors",
        "editor",
        "lead_photo",
        "social_image",
    )
    inlines = [RelatedArticleInline]
    readonly_fields = (
        "workflow_state",
        "transition_log",
        "preview_links",
        "embed_code",
        "funnel_summary",
    )
    actions = [
        _bulk_action("submit", _("Submit selected for review")),
        _bulk_action("publish", _("Publish selected now")),
        _bulk_action("unpublish", _("Unpublish selected")),
        _bulk_action("return_to_draft", _("Return selected to draft")),
    ]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "workflow_state",
                    "headline",
                    "slug",
                    "dek",
                    "section",
                    "topics",
                    "authors",
                    "editor",
                )
            },
        ),
        (_("Lead photo"), {"fields": ("lead_photo", "lead_photo_caption")}),
        (
            _("Story"),
            {"fields": ("dateline_city", "body", "source_attribution", "expected_version")},
        ),
        (
            _("Access and timing"),
            {
                "fields": (
                    "access_level",
                    "publish_at",
                    "embargo_until",
                    "expires_at",
                    "is_editors_pick",
                )
            },
        ),
        (
            _("SEO and social"),
            {
                "fields": ("seo_title", "seo_description", "social_image", "canonical_url"),
                "classes": ("collapse",),
            },
        ),
        (
            _("Publication log and preview"),
            {"fields": ("transition_log", "preview_links", "embed_code")},
        ),
        (_("Subscriptions and revenue"), {"fields": ("funnel_summary",)}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # nothing to log, preview, embed or credit before the first save
            return self.fieldsets[:-2]
        return self.fieldsets

    def get_queryset(self, request):
        # Conversions and credited revenue (last touch) as two subqueries, not a query a row.
        return with_conversions(super().get_queryset(request).prefetch_related("authors"))

    @admin.display(description=_("conversions"), ordering="conversions")
    def conversions(self, obj):
        return getattr(obj, "conversions", 0)

    @admin.display(description=_("credited revenue"), ordering="credited_idr")
    def credited_revenue(self, obj):
        return idr(getattr(obj, "credited_idr", 0))

    @admin.display(description=_("subscriptions and revenue"))
    def funnel_summary(self, obj):
        """Read-only: subscriptions credited to the article (first and last touch)
        and its gate impressions, clicks and refused reads over the window."""
        if obj is None or obj.pk is None:
            return ""
        funnel = article_funnel(obj.pk)
        return render_to_string(
            "admin/articles/article/_funnel.html",
            {
                "funnel": funnel,
                "credit": [
                    (Attribution.Model(model).label, *funnel.credit[model])
                    for model in Attribution.Model.values
                ],
                "events": [(Event(kind).label, n) for kind, n in funnel.events.items()],
            },
        )

    @admin.display(description="")
    def thumbnail(self, obj):
        return _thumb(obj.lead_photo)

    @admin.display(description=_("authors"))
    def byline(self, obj):
        return ", ".join(a.name for a in obj.authors.all()) or "—"

    @admin.display(description=_("status"))
    def workflow_state(self, obj):
        if obj.pk is None:
            return Status.DRAFT.label
        when = (
            f" · {revisions.when(obj.publish_at)}"
            if obj.status == Status.SCHEDULED and obj.publish_at
            else ""
        )
        if obj.status == Status.PUBLISHED and not obj.is_live():
            when = " · " + str(_("not visible to readers (embargo, expiry or a future time)"))
        return format_html(
            "<strong>{}</strong>{} · {} {}",
            obj.get_status_display(),
            when,
            _("version"),
            obj.version,
        )

    @admin.display(description=_("publication log and side effects"))
    def transition_log(self, obj):
        """The pipeline's record of this article: each status change, each side-effect run."""
        from publishing.admin import article_publication_log

        return article_publication_log(obj)  # rendered from an autoescaped template

    @admin.display(description=_("preview"))
    def preview_links(self, obj):
        return format_html_join(
            " · ",
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            ((preview_url(obj.pk, as_), PREVIEW_LABELS[as_]) for as_ in PREVIEW_AS),
        )

    @admin.display(description=_("“Read also” code"))
    def embed_code(self, obj):
        return format_html("<code>{}</code>", shortcode_for_article(obj.pk))

    def view_on_site(self, obj):
        # Until readers can see it (published, embargo lifted, not expired) the
        # public address is a 404: show the full preview instead.
        if obj.is_live():
            return obj.get_absolute_url()
        return preview_url(obj.pk, "premium")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return services.can_edit(request.user, obj)

    def save_model(self, request, obj, form, change):
        # The service saves the article, its lists and the revision together in
        # save_related, once the related-articles inline is validated too.
        return

    def save_related(self, request, form, formsets, change):
        related: list[tuple[int, int]] = []
        for formset in formsets:
            # The service writes the list; the admin's change message reads these.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if formset.model is not RelatedArticle:
                continue
            for inline in formset.forms:
                data = getattr(inline, "cleaned_data", None) or {}
                if data.get("DELETE") or not data.get("related"):
                    continue
                related.append((data.get("position") or 0, data["related"].pk))
        fields = {
            name: form.cleaned_data[name]
            for name in services.EDITABLE_FIELDS
            if name in form.cleaned_data
        }
        article = actions.save_article(
            article_id=form.instance.pk if change else None,
            by=request.user,
            fields=fields,
            topics=form.cleaned_data.get("topics"),
            authors=form.cleaned_data.get("authors"),
            related=[pk for _, pk in sorted(related, key=lambda item: item[0])],
            expected_version=form.cleaned_data.get("expected_version") if change else None,
            now=timezone.now(),
        )
        form.instance.pk = article.pk
        form.instance.version = article.version
        form.instance.status = article.status

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id and request.method == "GET":
            article = (
                Article.objects.filter(pk=object_id_or_404(object_id))
                .only("pk", "status", "created_by")
                .first()
            )
            if article is not None:
                extra_context["workflow_actions"] = actions.available_actions(request.user, article)
                extra_context["can_preview"] = request.user.has_perm("articles.preview_article")
                extra_context["preview_links"] = [
                    (PREVIEW_LABELS[as_], preview_url(article.pk, as_)) for as_ in PREVIEW_AS
                ]
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.StaleEdit as error:
            # Only a save that raced past the form's own check lands here.
            messages.error(request, _errors(error))
            return HttpResponseRedirect(request.path)
        except ValidationError as error:
            messages.error(request, _errors(error))
            return HttpResponseRedirect(request.path)

    def get_urls(self):
        own = [
            path(
                "<int:pk>/workflow/<str:action>/",
                self.admin_site.admin_view(self.workflow_view),
                name="articles_article_workflow",
            ),
            path(
                "<int:pk>/revisions/",
                self.admin_site.admin_view(self.revisions_view),
                name="articles_article_revisions",
            ),
            path(
                "<int:pk>/revisions/compare/",
                self.admin_site.admin_view(self.revision_compare_view),
                name="articles_article_revision_compare",
            ),
            path(
                "<int:pk>/revisions/<int:revision_id>/restore/",
                self.admin_site.admin_view(self.revision_restore_view),
                name="articles_article_revision_restore",
            ),
        ]
        return own + super().get_urls()

    def _article_or_403(self, request, pk: int) -> Article:
        article = get_object_or_404(Article, pk=pk)
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def _change_url(self, pk: int) -> str:
        return reverse("admin:articles_article_change", args=[pk])

    def workflow_view(self, request, pk: int, action: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._article_or_403(request, pk)
        params = {}
        if action == actions.SCHEDULE.name:
            params["publish_at"] = _parse_local(request.POST.get("publish_at", ""))
        try:
            article = actions.action_named(action).execute(
                article_id=pk,
                by=request.user,
                now=timezone.now(),
                note=request.POST.get("note", "")[:300],
                **params,
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, _errors(error))
        else:
            messages.success(
                request,
                _("The article is now %(status)s.")
                % {"status": article.get_status_display().lower()},
            )
        # The desk's buttons come back to the desk; the change page's to the article.
        return HttpResponseRedirect(safe_next_url(request, default=self._change_url(pk)))

    def _context(self, request, article, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": title,
            "has_view_permission": True,
        }

    def revisions_view(self, request, pk: int):
        article = self._article_or_403(request, pk)
        rows = list(article.revisions.select_related("created_by", "restored_from"))
        context = self._context(request, article, _("Revisions of “%s”") % article.headline)
        context.update(
            revisions=rows,
            can_restore=self.has_change_permission(request, article),
        )
        return TemplateResponse(request, "admin/articles/article/revisions.html", context)

    def revision_compare_view(self, request, pk: int):
        article = self._article_or_403(request, pk)
        form = RevisionCompareForm(request.GET)
        if not form.is_valid():
            # The revisions page again, with the error: a bad pair is the request's fault.
            messages.error(request, _("Choose two revisions to compare."))
            response = self.revisions_view(request, pk)
            response.status_code = 400
            return response
        wanted = [form.cleaned_data["a"], form.cleaned_data["b"]]
        found = {
            r.pk: r
            for r in Revision.objects.filter(article=article, pk__in=wanted).select_related(
                "created_by"
            )
        }
        if len(found) != len(set(wanted)) or len(found) < 1:
            messages.error(request, _("Those revisions do not belong to this article."))
            return HttpResponseRedirect(reverse("admin:articles_article_revisions", args=[pk]))
        older, newer = sorted((found[wanted[0]], found[wanted[1]]), key=lambda r: r.version)
        context = self._context(request, article, _("Compare revisions"))
        context.update(
            diff=revisions.revision_diff(older, newer),
            can_restore=self.has_change_permission(request, article),
        )
        return TemplateResponse(request, "admin/articles/article/revision_compare.html", context)

    def revision_restore_view(self, request, pk: int, revision_id: int):
        article = self._article_or_403(request, pk)
        revision = get_object_or_404(Revision, pk=revision_id, article=article)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        if request.method == "POST":
            expected = request.POST.get("expected_version", "")
            try:
                actions.restore_revision(
                    revision_id=revision.pk,
                    by=request.user,
                    expected_version=int(expected) if expected.isdigit() else article.version,
                    now=timezone.now(),
                )
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, _errors(error))
                return HttpResponseRedirect(reverse("admin:articles_article_revisions", args=[pk]))
            messages.success(
                request,
                _("Version %(v)s restored as a new revision.") % {"v": revision.version},
            )
            return HttpResponseRedirect(self._change_url(pk))
        context = self._context(request, article, _("Restore version %s") % revision.version)
        current = article.revisions.select_related("created_by").first()
        context.update(
            revision=revision,
            diff=revisions.revision_diff(revision, current) if current else None,
        )
        return TemplateResponse(request, "admin/articles/article/revision_restore.html", context)


# --- Photos and galleries -----------------------------------------------------


@admin.register(Photo)
class PhotoAdmin(RefusesBadInput, admin.ModelAdmin):
    form = PhotoAdminForm
    change_form_template = "admin/articles/photo/change_form.html"
    list_display = (
        "thumbnail",
        "short_caption",
        "credit",
        "agency",
        "dimensions",
        "has_renditions",
        "embed_code",
        "uploaded_at",
    )
    list_display_links = ("thumbnail", "short_caption")
    list_select_related = ("agency",)
    list_filter = ("agency",)
    search_fields = ("caption", "credit", "alt_text", "agency__name", "=id")
    date_hierarchy = "uploaded_at"
    readonly_fields = (
        "preview",
        "dimensions",
        "rendition_list",
        "uploaded_by",
        "uploaded_at",
        "embed_code",
    )
    fields = (
        "image",
        "preview",
        "caption",
        "credit",
        "agency",
        "alt_text",
        "focal_x",
        "focal_y",
        "dimensions",
        "rendition_list",
        "embed_code",
        "uploaded_by",
        "uploaded_at",
    )

    @admin.display(description="")
    def thumbnail(self, obj):
        return _thumb(obj)

    @admin.display(description=_("caption"))
    def short_caption(self, obj):
        return obj.caption[:90] or "—"

    @admin.display(description=_("size"))
    def dimensions(self, obj):
        return f"{obj.width} × {obj.height}" if obj.width else "—"

    @admin.display(description=_("renditions"), boolean=True)
    def has_renditions(self, obj):
        return bool(obj.renditions)

    @admin.display(description=_("inline code"))
    def embed_code(self, obj):
        return format_html("<code>{}</code>", shortcode_for_photo(obj.pk)) if obj.pk else "—"

    @admin.display(description=_("focal point"))
    def preview(self, obj):
        """The picture to click (or move with the arrow keys) and each shape's crop, live.

        ``desk/static/desk/focal-point.js`` crops the previews with the server's
        arithmetic (``articles.images.crop_box``) for each of ``RENDITION_SHAPES``.
        """
        if not obj.pk or not obj.image:
            return "—"
        return render_to_string(
            "admin/articles/photo/_focal_point.html",
            {
                "photo": obj,
                "now_template": _("Focal point: %(x)s across, %(y)s down."),
                "shapes": [
                    (
                        f"{shape.aspect[0]}:{shape.aspect[1]}",
                        SHAPE_LABELS.get(shape.prefix, shape.prefix),
                    )
                    for shape in RENDITION_SHAPES
                ],
            },
        )

    @admin.display(description=_("generated renditions"))
    def rendition_list(self, obj):
        if not obj.renditions:
            return _("Not generated yet (the worker makes them after upload).")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((url, key) for key, url in rendition_links(obj)),
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if self.has_add_permission(request):
            extra_context["photo_drop"] = drop_zone_config()
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        regenerate = not change or bool({"image", "focal_x", "focal_y"} & set(form.changed_data))
        services.photo_save(photo=obj, by=request.user, regenerate=regenerate)


class GalleryPhotoInline(admin.TabularInline):
    model = GalleryPhoto
    fields = ("position", "photo", "caption")
    autocomplete_fields = ("photo",)
    extra = 1


@admin.register(Gallery)
class GalleryAdmin(RefusesBadInput, admin.ModelAdmin):
    list_display = ("title", "section", "photo_count", "published_at")
    list_select_related = ("section",)
    list_filter = ("section",)
    search_fields = ("title", "description")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "published_at"
    inlines = [GalleryPhotoInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(photo_total=Count("items"))

    @admin.display(description=_("photos"), ordering="photo_total")
    def photo_count(self, obj):
        return obj.photo_total


# --- Taxonomy -----------------------------------------------------------------


@admin.register(Section)
class SectionAdmin(RefusesBadInput, admin.ModelAdmin):
    list_display = ("name", "parent", "position", "default_access_level", "show_on_home")
    list_select_related = ("parent",)
    list_editable = ("position",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Topic)
class TopicAdmin(RefusesBadInput, admin.ModelAdmin):
    list_display = ("name", "slug", "is_hot", "hot_order")
    list_editable = ("is_hot", "hot_order")
    list_filter = ("is_hot",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Author)
class AuthorAdmin(RefusesBadInput, admin.ModelAdmin):
    list_display = ("name", "role_title", "user")
    list_select_related = ("user",)
    search_fields = ("name", "slug", "user__username")
    autocomplete_fields = ()
    raw_id_fields = ("user",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Agency)
class AgencyAdmin(RefusesBadInput, admin.ModelAdmin):
    list_display = ("name", "url")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
