"""Reads for the blocks around the reader's pages, each in one query.

Pages combine these so their query count stays constant whatever the number
of articles, sections, topics or photos involved.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    F,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from analytics import popularity
from articles.models import (
    Article,
    Author,
    Gallery,
    GalleryPhoto,
    PathPlace,
    Photo,
    Section,
    Topic,
    address_of,
)
from articles.selectors import (
    LIST_LOOKUPS,
    LIST_ORDER,
    RELATED_ON_PAGE,
    listed_articles,
    related_articles,
)
from core.prepared import prepared
from pagecache import listindex
from pagecache import store as page_cache

NEWEST = LIST_ORDER
# What a teaser card shows (``partials/card.html``), and nothing more: the
# rows of a list page carry only these, and a rendered card is kept per
# process by their values (``fragments.cards``).
CARD_FIELDS = (
    "pk",
    "headline",
    "slug",
    "dek",
    "access_level",
    "published_at",
    "created_at",
    "section",
    "lead_photo",
    "section__name",
    "section__slug",
    "lead_photo__image",
    "lead_photo__width",
    "lead_photo__height",
    "lead_photo__alt_text",
    "lead_photo__renditions",
)


def card_values(article: Article) -> tuple:
    """An article's ``CARD_FIELDS``, as a list page's row holds them."""
    section = article.section if article.section_id else None
    photo = article.lead_photo if article.lead_photo_id else None
    return (
        article.pk,
        article.headline,
        article.slug,
        article.dek,
        article.access_level,
        article.published_at,
        article.created_at,
        article.section_id,
        article.lead_photo_id,
        section.name if section else None,
        section.slug if section else None,
        (photo.image.name or "") if photo else None,
        photo.width if photo else None,
        photo.height if photo else None,
        photo.alt_text if photo else None,
        photo.renditions if photo else None,
    )


class _CardImage(str):
    """A photo's stored file name, read as ``photo.image`` is (``.name``, truthy)."""

    @property
    def name(self) -> str:
        return str(self)


class _CardPhoto(NamedTuple):
    pk: int
    image: _CardImage
    width: int
    height: int
    alt_text: str
    renditions: dict


class _CardSection(NamedTuple):
    pk: int
    name: str
    slug: str

    get_absolute_url = Section.get_absolute_url  # the one address rule, on its fields


class CardArticle(NamedTuple):
    """What a card shows of an article, from its ``CARD_FIELDS`` (a model
    instance costs several times more to build, and a card needs no other field)."""

    pk: int
    headline: str
    slug: str
    dek: str
    access_level: str
    published_at: object
    created_at: object
    section_id: int | None
    lead_photo_id: int | None
    section: _CardSection | None
    lead_photo: _CardPhoto | None
    values: tuple = ()  # the CARD_FIELDS row it was made from
    place: PathPlace | None = None  # its list's (``article_path``), or read per address

    def get_absolute_url(self) -> str:
        return address_of(self, self.place)


def card_article(values: tuple, *, place: PathPlace | None = None) -> CardArticle:
    """An article that has only what a card shows, from its ``CARD_FIELDS``
    (``place``: what its list's addresses share, ``articles.models.path_place``)."""
    section_id, photo_id = values[7], values[8]
    section_name, section_slug, image, width, height, alt_text, renditions = values[9:]
    return CardArticle(
        *values[:9],
        section=_CardSection(section_id, section_name, section_slug) if section_id else None,
        lead_photo=(
            _CardPhoto(photo_id, _CardImage(image or ""), width, height, alt_text, renditions)
            if photo_id
            else None
        ),
        values=values,
        place=place,
    )


@dataclass
class Lists:
    latest: list = field(default_factory=list)
    picks: list = field(default_factory=list)
    in_section: list = field(default_factory=list)


def article_lists(
    *,
    latest: int = 10,
    picks: int = 5,
    section_ids: list[int] | None = None,
    in_section: int = 5,
    exclude_pk: int | None = None,
    at=None,
) -> Lists:
    """Latest news, editors' picks and "more in this section", in one query,
    as ``CardArticle``s (what a card or a headline shows).

    Each list is a sliced subquery; the union of their rows is fetched once
    and split again in Python. The n newest rows of the union that belong to
    a list are exactly that list, because the list's own rows are all in it.
    The query is built and compiled once per process for each shape (list
    lengths, how many sections, whether an article is left out).
    """
    section_ids = list(section_ids or []) if in_section else []
    shape = (
        latest,
        picks,
        in_section if section_ids else 0,
        len(section_ids),
        exclude_pk is not None,
    )
    query = _ARTICLE_LISTS.get(shape) or _ARTICLE_LISTS.setdefault(
        shape, _article_lists_query(shape)
    )
    values = {"at": at or timezone.now()}
    if section_ids:
        values["section_ids"] = section_ids
    if exclude_pk is not None:
        values["exclude_pk"] = exclude_pk
    found = [(card_article(row[:-1]), row[-1]) for row in query(**values)]
    rows = [a for a, _pick in found]
    return Lists(
        latest=rows[:latest],
        picks=[a for a, pick in found if pick][:picks],
        in_section=[a for a in rows if section_ids and a.section_id in section_ids][:in_section],
    )


_ARTICLE_LISTS: dict[tuple, object] = {}


def _article_lists_query(shape: tuple):
    latest, picks, in_section, _sections, _excluding = shape

    @prepared
    def rows(*, at, section_ids=None, exclude_pk=None):
        base = Article.objects.published(at=at)
        if exclude_pk is not None:
            base = base.exclude(pk=exclude_pk)
        parts = [base.order_by(*NEWEST).values("pk")[:latest]]
        if picks:
            parts.append(base.filter(is_editors_pick=True).order_by(*NEWEST).values("pk")[:picks])
        if section_ids and in_section:
            parts.append(
                base.filter(section_id__in=section_ids).order_by(*NEWEST).values("pk")[:in_section]
            )
        if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
            # One IN over a UNION ALL (not an OR of INs): PostgreSQL joins the few
            # ids to the primary key instead of scanning every article.
            wanted = Q(pk__in=parts[0].union(*parts[1:], all=True))
        else:  # SQLite cannot slice inside a UNION
            wanted = Q()
            for part in parts:
                wanted |= Q(pk__in=part)
        return base.filter(wanted).order_by(*NEWEST).values_list(*CARD_FIELDS, "is_editors_pick")

    return rows


def _section_block_rows(*, per_section: int):
    """The newest ``per_section`` articles of each top section (its subsections
    included) as ``CARD_FIELDS`` rows with their ``block``: a UNION ALL of small
    sliced reads through the live index (a window over every article scans the
    table), built and compiled once per number of sections."""

    @prepared
    def rows(*, section_ids: list[int], at):
        parts = [
            Article.objects.published(at=at)
            .filter(section_id__in=Section.objects.filter(Q(pk=pk) | Q(parent_id=pk)).values("pk"))
            .order_by(*NEWEST)
            .values("pk")[:per_section]
            for pk in section_ids
        ]
        wanted = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        return (
            Article.objects.filter(pk__in=wanted)
            .annotate(block=Coalesce(F("section__parent_id"), F("section_id")))
            .order_by(*NEWEST)
            .values_list(*CARD_FIELDS, "block")
        )

    return rows


_SECTION_BLOCK_ROWS: dict[int, object] = {}


def section_blocks(sections: list[Section], *, per_section: int = 4, at=None) -> list:
    """``[(section, [rows…]), …]``: the newest articles of each top section (its
    subsections included) as ``CARD_FIELDS`` rows, for every section at once."""
    if not sections:
        return []
    now = at or timezone.now()
    grouped: dict[int, list] = {s.pk: [] for s in sections}
    if connection.features.supports_slicing_ordering_in_compound:
        query = _SECTION_BLOCK_ROWS.get(per_section)
        if query is None:
            query = _SECTION_BLOCK_ROWS.setdefault(
                per_section, _section_block_rows(per_section=per_section)
            )
        rows = query(section_ids=[s.pk for s in sections], at=now)
    else:  # SQLite cannot slice inside a UNION: a window query
        top = Coalesce(F("section__parent_id"), F("section_id"))
        rows = (
            Article.objects.published(at=now)
            .annotate(
                block=top,
                rank=Window(RowNumber(), partition_by=[top], order_by=[F("published_at").desc()]),
            )
            .filter(block__in=[s.pk for s in sections], rank__lte=per_section)
            .order_by("block", "rank")
            .values_list(*CARD_FIELDS, "block")
        )
    for *values, block in rows:
        grouped[block].append(tuple(values))
    return [(s, grouped[s.pk]) for s in sections if grouped[s.pk]]


@prepared
def _related_rows(*, article_id: int, at):
    related = related_articles(Article(pk=article_id), limit=RELATED_ON_PAGE, at=at)
    return related.values_list(*CARD_FIELDS)


def related_rows(article: Article, *, at=None) -> list[tuple]:
    """The article page's related block (``articles.selectors.related_articles``)
    as card rows (``CARD_FIELDS``), the query built and compiled once per
    process: five articles with their sections and photos as model instances
    cost 0.35 ms of CPU, as rows 0.11."""
    return _related_rows(article_id=article.pk, at=at or timezone.now())


@prepared
def _navigation_and_hot_topics():
    sections = (
        Section.objects.filter(parent__isnull=True)
        .order_by()
        .values_list(Value("s"), "pk", "name", "slug", "position", "show_on_home")
    )
    topics = (
        Topic.objects.filter(is_hot=True)
        .order_by()
        .values_list(Value("t"), "pk", "name", "slug", "hot_order", "is_hot")
    )
    return sections.union(topics, all=True)


def navigation_and_hot_topics(*, hot_limit: int = 8) -> tuple[list[Section], list[Topic]]:
    """Top-level sections (the site menu) and hot topics, in one UNION query."""
    nav, hot = [], []
    for kind, pk, name, slug, order, flag in _navigation_and_hot_topics():
        if kind == "s":
            nav.append((order, name, Section(pk=pk, name=name, slug=slug, show_on_home=flag)))
        else:
            hot.append((order, name, Topic(pk=pk, name=name, slug=slug, is_hot=True)))
    nav.sort(key=lambda row: row[:2])
    hot.sort(key=lambda row: row[:2])
    return [row[2] for row in nav], [row[2] for row in hot][:hot_limit]


def _galleries(*, limit: int, at, section_id: int | None = None):
    first = GalleryPhoto.objects.filter(gallery_id=OuterRef("pk")).order_by("position", "pk")
    qs = Gallery.objects.filter(published_at__lte=at)
    if section_id:
        qs = qs.filter(section_id=section_id)
    return qs.annotate(
        cover_image=Subquery(first.values("photo__image")[:1]),
        cover_alt=Subquery(first.values("photo__alt_text")[:1]),
        cover_width=Subquery(first.values("photo__width")[:1]),
        cover_height=Subquery(first.values("photo__height")[:1]),
        cover_renditions=Subquery(first.values("photo__renditions")[:1], output_field=JSONField()),
    ).order_by("-published_at")[:limit]


@prepared
def _recent_galleries(*, at):
    return _galleries(limit=4, at=at)


def galleries(*, limit: int = 4, section_id: int | None = None, at=None) -> list[Gallery]:
    """Recent galleries, each with its first photo as ``cover`` (one query)."""
    now = at or timezone.now()
    if limit == 4 and not section_id:
        found = _recent_galleries(at=now)  # the sidebar's: built once per process
    else:
        found = list(_galleries(limit=limit, at=now, section_id=section_id))
    for gallery in found:
        gallery.cover = (
            Photo(
                image=gallery.cover_image,
                alt_text=gallery.cover_alt or gallery.title,
                width=gallery.cover_width or 0,
                height=gallery.cover_height or 0,
                renditions=gallery.cover_renditions or {},
            )
            if gallery.cover_image
            else None
        )
    return found


def most_read(*, limit: int = 5, fallback: list | None = None) -> list:
    """The most-read articles as the pipeline counts them; the latest until it does.

    The pipeline provides ``analytics.popularity.most_read_ids(limit=...)``.
    """
    ranked = getattr(popularity, "most_read_ids", None)
    ids = list(ranked(limit=limit)) if ranked else []
    if not ids:
        return list(fallback or [])[:limit]
    found = Article.objects.published().for_listing().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found][:limit]


def shared_blocks() -> dict:
    """Blocks identical on every page (menu, hot topics, galleries), cached per generation."""
    return page_cache.shared_fragment(
        "shared-blocks",
        lambda: dict(
            zip(("sections", "hot_topics"), navigation_and_hot_topics(), strict=True),
            galleries=galleries(),
        ),
        lists=False,  # a publish changes none of them
    )


@prepared
def _byline_and_topics(*, article_id: int):
    authors = (
        Author.objects.filter(articles=article_id)
        .order_by()
        .values_list(Value("a"), "pk", "name", "slug")
    )
    topics = (
        Topic.objects.filter(articles=article_id)
        .order_by()
        .values_list(Value("t"), "pk", "name", "slug")
    )
    return authors.union(topics, all=True)


def byline_and_topics(article: Article) -> tuple[list[Author], list[Topic]]:
    """The article's authors and topics, in one UNION query (built once per
    process, ``core.prepared``)."""
    found_authors, found_topics = [], []
    for kind, pk, name, slug in _byline_and_topics(article_id=article.pk):
        if kind == "a":
            found_authors.append(Author(pk=pk, name=name, slug=slug))
        else:
            found_topics.append(Topic(pk=pk, name=name, slug=slug))
    return (
        sorted(found_authors, key=lambda a: a.name),
        sorted(found_topics, key=lambda t: t.name),
    )


# --- Section, topic and author pages ------------------------------------------------


class ListedArticles:
    """The live articles of a section (its subsections' too), a topic or an
    author, newest first, for ``django.core.paginator.Paginator``. The count
    and the ends of the pages come from the list's index
    (``pagecache.listindex``: kept until the list changes, built by the
    publishing pipeline or by the first page that finds none), so a page
    after the first is a seek from the end of the page before it, not an
    OFFSET walk. Each query is prepared (``core.prepared``: built and compiled
    once per process, the owner, "now", the seek's key and the LIMIT as
    parameters). The rows are ``CARD_FIELDS`` tuples."""

    def __init__(self, kind: str, owner: int | list[int], *, at=None):
        self.kind = kind
        self.rows, self.counted, self.after = _LISTINGS[kind]
        self.values = {"owner": owner, "at": at or timezone.now()}
        self.count_name = f"count:{listindex.list_key(kind, owner)}"
        self._index = False  # not looked up yet

    def index(self) -> listindex.ListIndex | None:
        if self._index is False:
            self._index = listindex.index_for(self.kind, self.values["owner"], at=self.values["at"])
        return self._index

    def count(self) -> int:
        """How many live articles the list has (for "page n of N"): from the
        list's index; without one (another page is building it), counted once
        per publish and kept like the shared lists (``shared_fragment``)."""
        index = self.index()
        if index is not None:
            return index.count
        return page_cache.shared_fragment(
            self.count_name, lambda: self.counted(**self.values)[0][0]
        )

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[tuple]:
        start, stop = window.start or 0, window.stop
        if stop is None or window.step is not None:
            raise TypeError("a page of a list is a bounded slice")
        if stop <= start:
            return []
        index = self.index()
        end = index.end_of_page_before(start) if index is not None else None
        if end is not None:
            before_at, before_pk = end
            return self.after.page(
                offset=0,
                limit=stop - start,
                before_at=before_at,
                before_pk=before_pk,
                **self.values,
            )
        return self.rows.page(offset=start, limit=stop - start, **self.values)


def _listing_queries(kind: str) -> tuple:
    @prepared
    def rows(*, owner, at):
        return listed_articles(kind, owner, at=at).order_by(*NEWEST).values_list(*CARD_FIELDS)

    @prepared
    def counted(*, owner, at):
        # COUNT as a plain function: an aggregate in values() would GROUP BY the id.
        number = Func(F("pk"), function="COUNT", output_field=IntegerField())
        return listed_articles(kind, owner, at=at).order_by().values_list(number)

    @prepared
    def after(*, owner, at, before_at, before_pk):
        # Older than the last article of the page before, in the list's order;
        # the redundant ``<=`` lets the database start the walk of its date
        # index there.
        return (
            listed_articles(kind, owner, at=at)
            .filter(published_at__lte=before_at)
            .filter(Q(published_at__lt=before_at) | Q(published_at=before_at, pk__lt=before_pk))
            .order_by(*NEWEST)
            .values_list(*CARD_FIELDS)
        )

    return rows, counted, after


_LISTINGS = {kind: _listing_queries(kind) for kind in LIST_LOOKUPS}
