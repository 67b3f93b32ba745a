"""The newsroom's content: sections, topics, authors, agencies, photos, articles."""

import re
from dataclasses import dataclass
from datetime import tzinfo

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.reversing import reverse_cached
from paywall.rights import AccessLevel  # the paywall names the levels; Article.AccessLevel

from .body import body_as_text
from .liveness import is_live
from .querysets import ArticleManager


class Section(models.Model):
    """A rubric of the paper (Ekonomi, Market, …); may sit under a parent."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    default_access_level = models.CharField(
        _("default access level"),
        max_length=16,
        choices=AccessLevel.choices,
        default=AccessLevel.FREE,
        help_text=_("New articles in this section start with this access level."),
    )
    show_on_home = models.BooleanField(_("block on the home page"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_cached("website:section", kwargs={"slug": self.slug})


class Topic(models.Model):
    """A tag shared by articles; editors flag some as hot and order them."""

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_hot = models.BooleanField(_("hot topic"), default=False)
    hot_order = models.PositiveSmallIntegerField(_("hot order"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        indexes = [models.Index(fields=["is_hot", "hot_order"], name="topic_hot_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_cached("website:topic", kwargs={"slug": self.slug})


class Author(models.Model):
    """A byline profile; linked to a staff account where the writer has one."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        verbose_name=_("user"),
    )
    role_title = models.CharField(_("job title"), max_length=120, blank=True)
    bio = models.TextField(_("biography"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_cached("website:author", kwargs={"slug": self.slug})


class Agency(models.Model):
    """A news or photo agency credited as a source (Reuters, Antara, …)."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    url = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name


class Photo(models.Model):
    """One uploaded image with its caption, credit and generated renditions.

    ``renditions`` maps a rendition name (``"w640.webp"``) to its storage
    path; it lives on the row so a page shows every size with no extra query.
    """

    image = models.ImageField(
        _("image"), upload_to="photos/%Y/%m/", width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("width"))
    height = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("height"))
    caption = models.TextField(_("caption"), blank=True)
    credit = models.CharField(_("credit"), max_length=200, blank=True)
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="photos",
        verbose_name=_("agency"),
    )
    alt_text = models.CharField(_("alt text"), max_length=300, blank=True)
    focal_x = models.FloatField(
        _("focal point x"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    focal_y = models.FloatField(
        _("focal point y"),
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )
    renditions = models.JSONField(
        default=dict, blank=True, editable=False, verbose_name=_("renditions")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("uploaded at")
    )

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.caption[:60] or self.image.name

    @property
    def credit_line(self) -> str:
        """ "Photographer / Agency" as the paper prints it."""
        parts = [p for p in (self.credit, self.agency.name if self.agency_id else "") if p]
        return " / ".join(parts)


class Gallery(models.Model):
    """Ordered photos with their own captions, published as a photo story."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    section = models.ForeignKey(
        Section,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="galleries",
        verbose_name=_("section"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    photos = models.ManyToManyField(
        Photo, through="GalleryPhoto", related_name="galleries", verbose_name=_("photos")
    )

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("gallery")
        verbose_name_plural = _("galleries")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse_cached("website:gallery", kwargs={"slug": self.slug})


class GalleryPhoto(models.Model):
    gallery = models.ForeignKey(
        Gallery, on_delete=models.CASCADE, related_name="items", verbose_name=_("gallery")
    )
    photo = models.ForeignKey(
        Photo, on_delete=models.PROTECT, related_name="+", verbose_name=_("photo")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    caption = models.TextField(_("caption"), blank=True, help_text=_("Overrides the photo's."))

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("gallery photo")
        verbose_name_plural = _("gallery photos")
        constraints = [
            models.UniqueConstraint(fields=["gallery", "photo"], name="gallery_photo_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gallery} #{self.position}"


# The fields of an article that decide which lists show it and when.
LISTED_FIELDS = ("status", "section_id", "published_at", "embargo_until", "expires_at")


@dataclass(frozen=True)
class PathPlace:
    """What the addresses of one page's articles share: the part before the
    section (the script prefix and language, ``_detail_head``) and the time
    zone that names the day. Each is a context-local read (language, URL
    configuration, script prefix, zone), about a fifth of an address's cost,
    so a list reads them once (``path_place``) and passes them on."""

    head: str | None
    zone: tzinfo


def path_place() -> PathPlace:
    """The ``PathPlace`` of the active language, URL configuration and time zone."""
    return PathPlace(head=_detail_head(), zone=timezone.get_current_timezone())


def article_path(
    *, pk: int, slug: str, section_slug: str, moment, place: PathPlace | None = None
) -> str:
    """An article's address: its section (``berita`` without one), the local
    day of ``moment`` (publication, else creation), its id and slug. The API
    builds it from rows with this too (``website.api_payloads``); ``place``
    (``path_place()``, read now without one) is what the addresses of a list share.

    A list of 20 cards at 100,000 articles names 20 addresses no worker has
    reversed yet, at about 0.17 ms each. So the address is reversed once per
    language (and URL configuration) with sample values, and each article's
    values go where the sample's were; values ``reverse`` would quote or refuse
    (not plain ASCII slugs) are reversed as before."""
    if timezone.is_naive(moment):
        raise ValueError("an article's address needs an aware moment")
    place = place or path_place()
    when = moment.astimezone(place.zone)
    section = section_slug or "berita"
    # Not ``f"{when:%Y}"``: ``strftime`` on an aware moment cost three
    # quarters of an address (15 of 20 µs).
    year, month, day = f"{when.year:04d}", f"{when.month:02d}", f"{when.day:02d}"
    head = place.head
    if head is None or not (_PLAIN_SLUG.match(section) and _PLAIN_SLUG.match(slug)):
        kwargs = {"section": section, "year": year, "month": month, "day": day}
        return reverse_cached("website:detail", kwargs={**kwargs, "pk": pk, "slug": slug})
    return f"{head}{section}/{year}/{month}/{day}/{int(pk)}/{slug}/"


def address_of(article, place: PathPlace | None = None) -> str:
    """``article_path`` of an ``Article`` or anything with its card fields
    (``pk``, ``slug``, ``section_id`` and ``section``, ``published_at``, ``created_at``)."""
    return article_path(
        pk=article.pk,
        slug=article.slug,
        section_slug=article.section.slug if article.section_id else "",
        moment=article.published_at or article.created_at,
        place=place,
    )


_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+\Z")
_SAMPLE = {"section": "s", "year": "2000", "month": "01", "day": "02", "pk": 3, "slug": "t"}
_SAMPLE_TAIL = "s/2000/01/02/3/t/"


def _detail_head() -> str | None:
    """What comes before the section in an article's address (the script
    prefix and language), or None if the address is not ``section/yyyy/mm/dd/
    pk/slug/`` at its end (the URL pattern changed: reverse each one)."""
    sample = reverse_cached("website:detail", kwargs=_SAMPLE)
    if not sample.endswith(_SAMPLE_TAIL):
        return None
    return sample[: -len(_SAMPLE_TAIL)]


class Article(models.Model):
    """A news story. Its row is the truth about whether it is live."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        UNPUBLISHED = "unpublished", _("Unpublished")

    AccessLevel = AccessLevel

    headline = models.CharField(_("headline"), max_length=250)
    slug = models.SlugField(_("slug"), max_length=250, allow_unicode=False)
    dek = models.TextField(_("dek"), blank=True, help_text=_("The standfirst under the headline."))
    section = models.ForeignKey(
        Section,
        on_delete=models.PROTECT,
        related_name="articles",
        null=True,
        blank=True,
        verbose_name=_("section"),
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="articles", verbose_name=_("topics")
    )
    authors = models.ManyToManyField(
        Author, blank=True, related_name="articles", verbose_name=_("authors")
    )
    editor = models.ForeignKey(
        Author,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="edited_articles",
        verbose_name=_("editor"),
    )
    lead_photo = models.ForeignKey(
        Photo,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_of",
        verbose_name=_("lead photo"),
    )
    lead_photo_caption = models.TextField(
        _("lead photo caption"), blank=True, help_text=_("Overrides the photo's caption.")
    )
    dateline_city = models.CharField(_("dateline city"), max_length=80, blank=True)
    body = models.TextField(_("body"), blank=True)
    source_attribution = models.CharField(_("source attribution"), max_length=250, blank=True)
    access_level = models.CharField(
        _("access level"), max_length=16, choices=AccessLevel.choices, default=AccessLevel.FREE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    publish_at = models.DateTimeField(
        _("publish at"), null=True, blank=True, help_text=_("When a scheduled article goes live.")
    )
    embargo_until = models.DateTimeField(
        _("embargo until"),
        null=True,
        blank=True,
        help_text=_("Not shown to readers before this time, even when published."),
    )
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Unpublished at this time.")
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    first_published_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("first published at")
    )
    seo_title = models.CharField(_("SEO title"), max_length=120, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=300, blank=True)
    social_image = models.ForeignKey(
        Photo,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("social image"),
    )
    canonical_url = models.URLField(_("canonical URL"), blank=True)
    is_editors_pick = models.BooleanField(_("editors' pick"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text=_("Bumped on every save; guards concurrent edits."),
        verbose_name=_("version"),
    )
    related = models.ManyToManyField(
        "self",
        through="RelatedArticle",
        symmetrical=False,
        related_name="+",
        blank=True,
        verbose_name=_("related"),
    )
    # Full-text vectors, written by a PostgreSQL trigger on every change of
    # headline, dek or body (migration 0004), never by the ORM; NULL on SQLite.
    # The default manager leaves them in the database (``ArticleManager``).
    search_title = SearchVectorField(null=True, editable=False, verbose_name=_("search title"))
    search_body = SearchVectorField(null=True, editable=False, verbose_name=_("search body"))
    # Each lexeme of the two vectors tagged with the publication period
    # (``t:<lexeme>@<period>``, ``b:<lexeme>@<period>``), written by the same
    # trigger, also when ``published_at`` changes (migration 0012): a search
    # finds a word's newest matches in the index (``website.search_plans.period_window``).
    search_periods = SearchVectorField(null=True, editable=False, verbose_name=_("search periods"))
    # The body's blocks as plain text (``articles.body.body_as_text``), written by
    # ``save`` whenever the body is: search snippets cut it instead of parsing
    # the body's HTML per result. NULL where a body was written without it
    # (migration 0011's trigger clears it): search then reads the body.
    body_text = models.TextField(null=True, editable=False, verbose_name=_("body as text"))

    objects = ArticleManager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_live_idx"),
            models.Index(
                fields=["section", "status", "-published_at"], name="article_section_live_idx"
            ),
            models.Index(fields=["access_level", "-published_at"], name="article_access_idx"),
            models.Index(fields=["status", "publish_at"], name="article_due_idx"),
            models.Index(fields=["is_editors_pick", "-published_at"], name="article_pick_idx"),
            # When an embargo lifts or an article expires next (the lists' indexes,
            # ``pagecache.listindex``): few rows, found without reading the table.
            models.Index(
                fields=["embargo_until"],
                condition=models.Q(status="published", embargo_until__isnull=False),
                name="article_embargo_idx",
            ),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="published", expires_at__isnull=False),
                name="article_expiry_idx",
            ),
        ]
        constraints = [
            # A scheduled article without a time would never be published and
            # never be reported late: the one state the pipeline cannot act on.
            models.CheckConstraint(
                condition=~models.Q(status="scheduled", publish_at__isnull=True),
                name="article_scheduled_has_time",
                violation_error_message=_("A scheduled article needs a publish time."),
            ),
        ]
        permissions = [
            ("submit_article", "Can submit an article for review"),
            ("edit_any_article", "Can edit any article, not only their own"),
            ("publish_article", "Can approve, schedule, publish and unpublish articles"),
            ("preview_article", "Can preview unpublished articles"),
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args, **kwargs):
        # The body's text is written with the body, whenever the body is.
        update_fields = kwargs.get("update_fields")
        writes_body = "body" in update_fields if update_fields is not None else True
        if writes_body and "body" not in self.get_deferred_fields():
            self.body_text = body_as_text(self.body)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "body_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return address_of(self)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What decides the lists it is on, as loaded: a save that changes none of
        # it leaves the section, topic and author indexes as they are
        # (``pagecache.listindex``).
        instance._listed_as = instance.listed_as()
        return instance

    @property
    def section_slug(self) -> str:
        """The section's slug, "" without one (paywall overrides name sections by slug)."""
        return self.section.slug if self.section_id else ""

    @property
    def topic_slugs(self) -> frozenset[str]:
        """The topics' slugs (paywall overrides name topics by slug): from prefetched
        topics when there are, else one query, kept on the instance."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("topics")
        if prefetched is not None:
            return frozenset(topic.slug for topic in prefetched)
        if self.pk is None:
            return frozenset()
        if "_topic_slugs" not in self.__dict__:
            self._topic_slugs = frozenset(self.topics.values_list("slug", flat=True))
        return self._topic_slugs

    @property
    def caption(self) -> str:
        """The lead photo's caption as this article prints it."""
        if self.lead_photo_caption:
            return self.lead_photo_caption
        return self.lead_photo.caption if self.lead_photo_id else ""

    def listed_as(self) -> tuple | None:
        """The fields that decide which section lists show the article and when
        (None when one of them was not loaded)."""
        loaded = self.__dict__
        if any(name not in loaded for name in LISTED_FIELDS):
            return None
        return tuple(loaded[name] for name in LISTED_FIELDS)

    def is_live(self, *, at=None) -> bool:
        """Whether readers may see the article now (the one liveness rule, ``liveness``)."""
        return is_live(
            status=self.status,
            published_at=self.published_at,
            embargo_until=self.embargo_until,
            expires_at=self.expires_at,
            at=at,
        )


class RelatedArticle(models.Model):
    """One entry of an article's curated "related articles" list, in order."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="related_links", verbose_name=_("article")
    )
    related = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="+", verbose_name=_("related")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("related article")
        verbose_name_plural = _("related articles")
        constraints = [
            models.UniqueConstraint(fields=["article", "related"], name="related_once"),
            models.CheckConstraint(
                condition=~models.Q(article=models.F("related")), name="related_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.related_id}"


class ArticleTransition(models.Model):
    """The publication log: every status change, who made it and why."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("article")
    )
    from_status = models.CharField(
        max_length=16, choices=Article.Status.choices, verbose_name=_("from status")
    )
    to_status = models.CharField(
        max_length=16, choices=Article.Status.choices, verbose_name=_("to status")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("at"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        by = self.by or _("system")
        change = f"{self.get_from_status_display()} → {self.get_to_status_display()}"
        return f"{self.article_id}: {change} ({by})"


class Revision(models.Model):
    """One saved state of an article: who saved it, when, and everything editorial.

    ``data`` holds the editorial fields (foreign keys and lists as ids, the
    related list in order) so a revision can be compared field by field and
    restored; ``body`` is kept apart for the paragraph-level diff.
    """

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("article")
    )
    version = models.PositiveIntegerField(
        help_text=_("The article's version this revision saved."), verbose_name=_("version")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    data = models.JSONField(default=dict, verbose_name=_("data"))
    body = models.TextField(blank=True, verbose_name=_("body"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    restored_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("restored from"),
    )

    class Meta:
        ordering = ["-version", "-pk"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="revision_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class DraftRevision(models.Model):
    """An editor's unsaved work on an article, kept by the change form's autosave.

    One per editor and article, replaced by each autosave and deleted when that
    editor saves the article. It never changes the article (its status, body or
    version): it is offered back on the change form after a crash or a closed
    tab. ``based_on_version`` is the article version the editor was editing;
    an autosave whose version is no longer the article's is refused, so a
    draft never stands in for another editor's newer save. ``data`` holds the
    change form's fields as posted (name -> list of strings); its body is
    sanitized like a saved one (``articles.autosave``).
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="draft_revisions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    based_on_version = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("autosaved draft")
        verbose_name_plural = _("autosaved drafts")
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="draft_revision_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} autosave by {self.author_id} (v{self.based_on_version})"
