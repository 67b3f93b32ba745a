"""Admin forms for articles and photos.

The forms check what an editor can fix (errors shown next to the field);
the save itself goes through the services (``publishing.actions.save_article``,
``articles.services``) so the admin, the API and commands follow the same rules.
"""

from django import forms
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_prose_editor.fields import ProseEditorFormField

from articles import services, timewindow
from articles.images import validate_upload
from articles.models import Article, Photo, Revision
from articles.sanitize import clean_body
from core.api_schemas import MAX_ID

from .editor_blocks import editor_body
from .photo_drop import DROP_LABELS

# What the editor offers; the server-side allow-list (``articles.body_policy``) decides.
BODY_EDITOR = {
    "extensions": {
        "Heading": {"levels": [2, 3, 4]},
        "Bold": True,
        "Italic": True,
        "Underline": True,
        "Strike": True,
        "Subscript": True,
        "Superscript": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "HardBreak": True,
        "HorizontalRule": True,
        # Our nodes (desk/static/desk/body-blocks.js, loaded through
        # settings.DJANGO_PROSE_EDITOR_EXTENSIONS); lazy strings are resolved
        # when the widget renders, in the editor's language.
        "NewsPhoto": {
            "searchUrl": reverse_lazy("desk:editor-photos"),
            "uploadUrl": reverse_lazy("desk:editor-photo-upload"),
            "dropLabels": DROP_LABELS,
            "labels": {
                "button": _("Photo"),
                "buttonTitle": _("Insert a photo from the library"),
                "dialogTitle": _("Insert photo"),
                "search": _("Search the photo library"),
                "searching": _("Searching…"),
                "noResults": _("No photo matches."),
                "upload": _("Or upload a new photo"),
                "file": _("Image file"),
                "caption": _("Caption"),
                "credit": _("Credit"),
                "alt": _("Alt text (what the photo shows)"),
                "uploadButton": _("Upload and insert"),
                "uploading": _("Uploading…"),
                "cancel": _("Cancel"),
                "captionHere": _("Caption in this article"),
                "creditHere": _("Credit in this article"),
                "libraryHint": _(
                    "Photo #%(id)s. Empty fields use the library's caption and credit."
                ),
                "missing": _("Photo #%(id)s no longer exists; remove this block."),
                "remove": _("Remove photo"),
            },
        },
        "ReadAlso": {
            "searchUrl": reverse_lazy("desk:editor-articles"),
            "labels": {
                "button": _("Read also"),
                "buttonTitle": _("Insert a “Read also” link to another article"),
                "dialogTitle": _("Insert “Read also”"),
                "search": _("Search published articles by headline"),
                "searching": _("Searching…"),
                "noResults": _("No published article matches."),
                "cancel": _("Cancel"),
                "prefix": _("Read also:"),
                "missing": _("Article #%(id)s no longer exists; remove this block."),
                "remove": _("Remove “Read also”"),
            },
        },
    }
}

BODY_HELP = _(
    "Paragraphs, sub-heads (H2–H4), quotes, lists and links. “Photo” inserts a photo from "
    "the library (or a new upload) with its caption and credit, which you can change for "
    "this article in place; “Read also” links another article, found by its headline. "
    "Everything else (scripts, styles, embeds) is removed on save."
)

# The change form's fields, which are also what an autosave keeps (split
# date/time widgets post ``<name>_0`` and ``<name>_1``).
ARTICLE_FORM_FIELDS = (
    "headline",
    "slug",
    "dek",
    "section",
    "topics",
    "authors",
    "editor",
    "lead_photo",
    "lead_photo_caption",
    "dateline_city",
    "body",
    "source_attribution",
    "access_level",
    "publish_at",
    "embargo_until",
    "expires_at",
    "seo_title",
    "seo_description",
    "social_image",
    "canonical_url",
    "is_editors_pick",
)
AUTOSAVED_FIELDS = ARTICLE_FORM_FIELDS


class ArticleAdminForm(forms.ModelForm):
    # A ``articles.models.DraftRevision`` to open the form with instead of the
    # saved article ("Restore autosave"); set by ``desk.autosave_admin``.
    autosave = None

    body = ProseEditorFormField(
        config=BODY_EDITOR, required=False, label=_("body"), help_text=BODY_HELP
    )
    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, label=_("version you started from")
    )
    canonical_url = forms.URLField(
        label=_("canonical URL"), required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = Article
        fields = list(ARTICLE_FORM_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _("Left empty, it is made from the headline.")
        if "access_level" in self.fields and not self.instance.pk:
            self.fields["access_level"].required = False
            self.fields["access_level"].help_text = _("Left empty, the section's default.")
            self.fields["access_level"].choices = [
                ("", _("Section default")),
                *Article.AccessLevel.choices,
            ]
            self.initial["access_level"] = ""
        if self.instance.pk:
            self.initial["expected_version"] = self.instance.version
            if self.autosave is not None:
                self._start_from_autosave(self.autosave)
            self.initial["body"] = editor_body(self.initial.get("body") or "")

    def _start_from_autosave(self, draft) -> None:
        """Show the autosaved values, each read by its widget as a posted form would be.

        The version to save against is the one the autosave was based on: if the
        article was saved since, saving is refused as stale, like any edit.
        """
        data = MultiValueDict(draft.data)
        for name in AUTOSAVED_FIELDS:
            field = self.fields.get(name)
            if field is None or field.widget.value_omitted_from_data(data, {}, name):
                continue
            self.initial[name] = field.widget.value_from_datadict(data, {}, name)
        self.initial["expected_version"] = draft.based_on_version

    def clean_body(self):
        return clean_body(self.cleaned_data.get("body") or "")

    def clean_access_level(self):
        value = self.cleaned_data.get("access_level")
        if not value:
            section = self.cleaned_data.get("section")
            value = section.default_access_level if section else Article.AccessLevel.FREE
        return value

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self._check_not_stale(cleaned.get("expected_version"))
        self._check_times(cleaned)
        return cleaned

    def _check_times(self, cleaned: dict) -> None:
        """The rules the save applies to publish, embargo and expiry times, shown next
        to the field: a sane window (``articles.timewindow``), and a scheduled
        article keeps a future publish time (cancelling is "Return to draft")."""
        now = timezone.now()
        stored = self.instance  # not yet updated from the form: the saved values
        given = {name: cleaned[name] for name in timewindow.TIME_FIELDS if name in cleaned}
        try:
            timewindow.check_changed_times(
                before={name: getattr(stored, name) for name in timewindow.TIME_FIELDS},
                after=given,
                now=now,
            )
            if stored.pk and "publish_at" in given:
                services.check_schedule_kept(
                    status=stored.status,
                    publish_at=given["publish_at"],
                    publish_at_before=stored.publish_at,
                    now=now,
                )
        except ValidationError as error:
            self.add_error(None, error)

    def _check_not_stale(self, expected: int | None) -> None:
        current = (
            Article.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        )
        if expected is None or current is None or expected == current:
            return
        by_version = {
            r.version: r
            for r in Revision.objects.filter(
                article_id=self.instance.pk, version__in=[expected, current]
            ).select_related("created_by")
        }
        latest = by_version.get(current)
        who = _("another editor")
        if latest is not None and latest.created_by is not None:
            who = latest.created_by.get_full_name() or latest.created_by.get_username()
        compare = ""
        if expected in by_version and latest is not None:
            url = reverse("admin:articles_article_revision_compare", args=[self.instance.pk])
            compare = format_html(
                ' <a href="{}?a={}&amp;b={}">{}</a>',
                url,
                by_version[expected].pk,
                latest.pk,
                _("Compare your starting version with theirs."),
            )
        raise ValidationError(
            format_html(
                "{}{}",
                _(
                    "%(who)s saved this article (version %(current)s) while you were editing "
                    "version %(expected)s. Your changes were NOT saved, so nothing of theirs "
                    "is overwritten: copy what you need, reload the article and apply it again."
                )
                % {"who": who, "current": current, "expected": expected},
                compare,
            ),
            code="stale",
        )

    def _post_clean(self):
        super()._post_clean()
        # The same checks the service runs, so the editor sees them on the form.
        article = self.instance
        if "body" in self.cleaned_data:
            try:
                services.check_body_references(article)
            except ValidationError as error:
                self.add_error(None, error)
        if article.pk and article.status in (
            Article.Status.SCHEDULED,
            Article.Status.PUBLISHED,
        ):
            for problem in services.publication_problems(article):
                self.add_error(None, problem)


class PhotoAdminForm(forms.ModelForm):
    # A plain file field: the model's ImageField form field would answer a
    # decompression bomb or an SVG with one vague message; ours says which.
    image = forms.FileField(label=_("image"), widget=AdminFileWidget)

    class Meta:
        model = Photo
        fields = ["image", "caption", "credit", "agency", "alt_text", "focal_x", "focal_y"]

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if upload is None or "image" not in self.changed_data:
            return upload
        return validate_upload(upload)


class RevisionCompareForm(forms.Form):
    """The two revisions to compare, from the revisions page's radio buttons."""

    a = forms.IntegerField(min_value=1, max_value=MAX_ID)
    b = forms.IntegerField(min_value=1, max_value=MAX_ID)
