"""Indexes of the section, topic and author lists: how many live articles a
list has ("page n of N") and the (published_at, id) where each of its pages
ends, so that page n is a seek from the end of page n - 1 instead of an
OFFSET walk.

At 100,000 articles counting a big topic or author cost PostgreSQL 35-85 ms,
and page 100 of a list skipped 2,000 live rows; a list's index is built in one
query (``build``) and kept until the list changes, not per page-cache
generation: a publish bumps the ``lists`` generation so that pages are
rendered again, but a list's index stays valid unless an article of that list
changed. Who keeps them fresh:

- the publishing pipeline (``publishing.effects``, the ``purge_caches`` effect
  of a publish, an unpublish, an expiry or an embargo lifting) builds the
  indexes of the article's lists again *before* it purges the pages, so a
  page rendered after the purge reads an index that has the change;
- any other change of a published article that can move it between lists or
  change when it is live (its section, times or status saved outside the
  workflow, its topics or authors, a delete) retires every index at once on
  commit (a fresh ``listindex`` token: the keys carry it);
- an index is only used while nothing in the database can have changed it by
  the clock alone: it records the first moment after it was built at which
  the publication time, embargo or expiry of a published article *of that
  list* comes (``until``), and is not used from then on, nor after
  ``MAX_AGE`` (a safety net for writes that send no signal, such as a bulk
  ``update()``).

A page that finds no usable index builds it (one reader per list at a time;
the others count as before) in place of the count it would have run.
"""

import struct
import time
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q, Subquery, Value, Window
from django.db.models.functions import Mod, RowNumber

from articles.models import Article, Section
from articles.selectors import LIST_LOOKUPS, LIST_ORDER, listed_articles
from core.prepared import prepared

from . import store

PAGE_SIZE = 20  # articles per list page (``website.views.PER_PAGE``)
TOKEN = store.LIST_INDEX
MAX_AGE = 3600  # seconds: rebuilt at least this often
BUILD_LOCK_SECONDS = 30


@dataclass(frozen=True)
class ListIndex:
    """One list as it was at ``at``: ``count`` live articles, and ``ends`` the
    (published_at, pk) of the last article of each of its first
    ``store.MAX_PAGE`` pages, packed (``pack_ends``): a page reads one, and
    unpickling 500 datetimes on every list page cost 0.2 ms."""

    at: datetime
    until: datetime | None
    count: int
    ends: bytes
    built: float  # time.time(), for MAX_AGE

    def usable(self, at: datetime) -> bool:
        """Whether the list is still as counted at ``at``: no article of it went
        live or stopped being live by the clock since (a change by a write
        retires or rebuilds the index)."""
        return (
            self.at <= at
            and (self.until is None or at < self.until)
            and time.time() < self.built + MAX_AGE
        )

    def end_of_page_before(self, start: int) -> tuple | None:
        """The (published_at, pk) the page starting at row ``start`` follows, if known."""
        if start <= 0 or start % PAGE_SIZE:
            return None
        page = start // PAGE_SIZE - 1
        if page >= len(self.ends) // _END.size:
            return None
        micros, pk = _END.unpack_from(self.ends, page * _END.size)
        return _EPOCH + timedelta(microseconds=micros), pk


# A page end: microseconds since the epoch (UTC) and the article's id.
_END = struct.Struct("<qq")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def pack_ends(ends) -> bytes:
    """``(published_at, pk)`` pairs as ``ListIndex.ends`` keeps them."""
    return b"".join(
        _END.pack((moment - _EPOCH) // timedelta(microseconds=1), pk) for moment, pk in ends
    )


def list_key(kind: str, owner) -> str:
    """A list's name: its kind and owners (a section page's in any order)."""
    owners = sorted(owner) if isinstance(owner, list | tuple) else [owner]
    return f"{kind}:{','.join(str(o) for o in owners)}"


# --- Building ------------------------------------------------------------------------


def _next_time(kind: str, owner, field: str, at):
    """The first ``field`` after ``at`` of any published article of the list:
    an article of another list going live or expiring leaves this list as it
    was (with one global moment, one wire story's expiry retired every list's
    index, and each big list's next reader counted it again: 70-80 ms for a
    topic of 25,000 articles at 100,000)."""
    return Subquery(
        Article.objects.filter(
            status="published", **{f"{field}__gt": at, LIST_LOOKUPS[kind]: owner}
        )
        .order_by(field)
        .values(field)[:1]
    )


# When the clock alone next changes what is live (the list's articles').
NEXT_CHANGES = {
    "next_published": "published_at",
    "next_embargo": "embargo_until",
    "next_expiry": "expires_at",
}


def _build_query(kind: str):
    @prepared
    def rows(*, owner, at):
        # Every PAGE_SIZE-th row (the end of each page) and the first (which
        # carries the count when the list has less than a page), numbered and
        # counted by the database in one walk of the list.
        return (
            listed_articles(kind, owner, at=at)
            .annotate(
                row=Window(RowNumber(), order_by=list(LIST_ORDER)),
                total=Window(Count("pk")),
                page_row=Mod(F("row"), Value(PAGE_SIZE)),
                **{
                    name: _next_time(kind, owner, field, at) for name, field in NEXT_CHANGES.items()
                },
            )
            .filter(Q(row__lte=store.MAX_PAGE * PAGE_SIZE, page_row=0) | Q(row=1))
            .order_by()
            .values_list("row", "published_at", "pk", "total", *NEXT_CHANGES)
        )

    return rows


_BUILD = {kind: _build_query(kind) for kind in LIST_LOOKUPS}


def build(kind: str, owner, *, at: datetime) -> ListIndex:
    """Count the list and find its page ends, as of ``at`` (one query). An
    empty list's index is not kept (``kept``): its rows cannot tell when the
    clock alone would add an article to it."""
    found = sorted(_BUILD[kind](owner=owner, at=at))
    if not found:
        return ListIndex(at=at, until=None, count=0, ends=b"", built=time.time())
    changes = [moment for moment in found[0][4:] if moment is not None]
    ends = pack_ends(
        (published_at, pk) for row, published_at, pk, *_ in found if row % PAGE_SIZE == 0
    )
    return ListIndex(
        at=at, until=min(changes, default=None), count=found[0][3], ends=ends, built=time.time()
    )


# --- Reading and keeping ---------------------------------------------------------------


def _token():
    return store.generation(TOKEN)


def _key(token, kind: str, owner) -> str:
    return f"{store.PREFIX}:listindex:v2:{token}:{list_key(kind, owner)}"


def _get(key: str) -> ListIndex | None:
    # Kept as a plain tuple: a process of another release reads it or ignores it.
    kept = cache.get(key)
    try:
        return ListIndex(*kept) if kept is not None else None
    except TypeError:
        return None


def _put(key: str, index: ListIndex) -> None:
    # Two builders of one list (a reader and the pipeline): the later count wins.
    kept = _get(key)
    if kept is None or kept.at <= index.at:
        cache.set(key, astuple(index), timeout=MAX_AGE)


def index_for(kind: str, owner, *, at: datetime) -> ListIndex | None:
    """The list's index if one is usable at ``at``; else built now by this
    request if no other is building it (None then: count as before)."""
    if not store.enabled():
        return None
    token = _token()
    key = _key(token, kind, owner)
    kept = _get(key)
    if kept is not None and kept.usable(at):
        return kept
    lock = f"{key}:building"
    if not cache.add(lock, 1, timeout=BUILD_LOCK_SECONDS):
        return None
    try:
        index = build(kind, owner, at=at)  # as of ``at``: right for this request
        if index.count:
            _put(key, index)
    finally:
        cache.delete(lock)
    return index


def rebuild(lists: list[tuple[str, object]], *, at: datetime) -> None:
    """Build these lists' indexes again (the pipeline, after a publish or an
    unpublish has committed, before it purges the pages)."""
    if not store.enabled():
        return
    token = _token()
    for kind, owner in lists:
        index = build(kind, owner, at=at)
        key = _key(token, kind, owner)
        if index.count:
            _put(key, index)
        else:
            cache.delete(key)


def retire_all() -> None:
    """Forget every list's index (a change the pipeline does not follow)."""
    store.bump(TOKEN)


def lists_of(article: Article) -> list[tuple[str, object]]:
    """The lists an article is on: its section's page and the page of the
    section above it (which lists its subsections' articles), its topics' and
    its authors', each with the owner the page passes (``website.views``)."""
    lists: list[tuple[str, object]] = []
    if article.section_id:
        pages = Section.objects.filter(
            Q(pk=article.section_id) | Q(children=article.section_id)
        ).distinct()
        for section in pages:
            children = section.children.values_list("pk", flat=True)
            lists.append(("section", [section.pk, *children]))
    lists += [("topic", pk) for pk in article.topics.values_list("pk", flat=True)]
    lists += [("author", pk) for pk in article.authors.values_list("pk", flat=True)]
    return lists


# --- Changes outside the pipeline ----------------------------------------------------------


def _retire_on_commit() -> None:
    # Now, so that this process and this transaction's tests see it, and again
    # once committed: an index built from the rows as they were before the
    # commit, under the first new token, must not outlive it.
    retire_all()
    transaction.on_commit(retire_all)


def _article_saved(sender, instance, **kwargs):
    before, now = getattr(instance, "_listed_as", None), instance.listed_as()
    instance._listed_as = now
    if before == now or (before is None and instance.status != "published"):
        return  # saved without changing where or when it is listed, or never listed
    # (status, section, published_at, embargo, expiry): a new status, with the
    # section, embargo and expiry as they were
    if before and now and before[0] != now[0] and (before[1], *before[3:]) == (now[1], *now[3:]):
        # A status change: only the workflow makes one (``publishing.actions``),
        # and its purge effect rebuilds the article's lists once it committed,
        # or, for an article published under embargo, once the embargo lifts;
        # until then an index must know when that is (``until``).
        if instance.status != "published" or instance.is_live():
            return
    _retire_on_commit()


def _article_deleted(sender, instance, **kwargs):
    if instance.status == "published":
        _retire_on_commit()


def _links_changed(sender, instance, action, **kwargs):
    if not action.startswith("post_"):
        return
    if isinstance(instance, Article) and instance.status != "published":
        return
    _retire_on_commit()


def connect_invalidation() -> None:
    """Hook the retirements to the writes no pipeline step follows."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    uid = "pagecache.listindex"
    post_save.connect(_article_saved, sender=Article, dispatch_uid=f"{uid}.saved")
    post_delete.connect(_article_deleted, sender=Article, dispatch_uid=f"{uid}.deleted")
    for through in (Article.topics.through, Article.authors.through):
        name = f"{uid}.{through.__name__}"
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=name)
