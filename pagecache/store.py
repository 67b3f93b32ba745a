"""The page cache: whole rendered pages, kept per *variant*, never per reader.

A variant is what decides the HTML a reader gets: the page language, the
reader's entitlement class (``anonymous``, ``registered``, ``ad_free``,
``premium`` from ``paywall.policy.entitlement_class``) and, on article
pages, the access outcome (granted or not, and why). Two readers in the same
variant get byte-identical HTML, so nothing personal may be rendered into a
cached page (no user name, no CSRF token, no per-reader meter count).

Invalidation is by generation tokens, so a purge is one cache write whatever
the number of cached pages:

- ``global``: bumped when a section, topic, photo or gallery changes (they
  show on every page);
- ``lists``: bumped whenever any article is published, edited or
  unpublished (home, section, topic, author and search pages depend on it);
- ``article:<pk>``: bumped when that article (or its related list) changes.

An entry remembers the tokens it was built with; a lookup reads the entry and
the current tokens in one ``get_many`` (one round trip to Redis) and treats a
mismatch as a miss. Article pages depend on ``global`` and their own token;
their "latest"/"in this section" blocks may trail by at most
``PAGE_CACHE_ARTICLE_SECONDS`` (the entry's lifetime).

``purge_for_article`` is what the pipeline's after-publish task calls; signal
receivers (``connect_invalidation``) cover edits made anywhere else.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

PREFIX = "pc:v1"
# The last page number of a cached list (home, section, topic, author pages).
MAX_PAGE = 500


def page_number(raw: str | None) -> int | None:
    """The list page a ``?page=`` value names, or None for anything but 1..MAX_PAGE
    in plain ASCII digits (``"²"`` and ``"፩"`` are digits to ``str.isdigit``, not to ``int``)."""
    raw = "1" if raw is None else raw
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_PAGE)):
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_PAGE else None


GLOBAL = f"{PREFIX}:gen:global"
LISTS = f"{PREFIX}:gen:lists"


def article_gen_key(pk: int) -> str:
    return f"{PREFIX}:gen:article:{pk}"


def article_seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_ARTICLE_SECONDS", 300))


def list_seconds() -> int:
    return int(getattr(settings, "PAGE_CACHE_LIST_SECONDS", 120))


def enabled() -> bool:
    return bool(getattr(settings, "PAGE_CACHE_ENABLED", True))


def _token() -> int:
    return time.time_ns()


def bump(*keys: str) -> None:
    # A fresh token per purge (not incr): a token that was evicted and
    # re-created can never equal one an old entry remembers.
    token = _token()
    cache.set_many(dict.fromkeys(keys, token), timeout=None)
    reads = _request_reads.get()
    if reads is not None:  # this request changed them: read them again
        reads["gens"].clear()
        reads["entries"].clear()


# --- Purges (O(1): one cache write each) --------------------------------------


def purge_for_article(article) -> None:
    """Forget every cached page that shows this article (its page, lists, home)."""
    bump(article_gen_key(article.pk), LISTS)


def purge_lists() -> None:
    """Forget cached home, section, topic and author pages."""
    bump(LISTS)


def purge_all() -> None:
    """Forget every cached page (a section, topic or photo changed)."""
    bump(GLOBAL, LISTS)


# --- Entries ------------------------------------------------------------------


@dataclass
class Entry:
    """One cached page for one (language, page, entitlement class).

    ``variants`` maps an access outcome (``"-"`` for pages without one) to the
    page and headers built for it (under ``"html"``: a page's UTF-8 bytes as
    sent, or what a fragment or an API answer keeps); ``meta`` is what an
    article page needs to decide access without touching the database.
    """

    key: str
    gens: tuple
    timeout: int
    meta: dict = field(default_factory=dict)
    variants: dict = field(default_factory=dict)
    valid: bool = False

    def get(self, outcome: str):
        return self.variants.get(outcome) if self.valid else None

    def store(self, outcome: str, html, headers: dict, *, meta: dict | None = None) -> None:
        if not enabled():
            return
        if not self.valid:
            # Rebuilt under the current generation: earlier variants are stale.
            self.variants, self.valid = {}, True
        if meta is not None:
            self.meta = meta
        self.variants[outcome] = {"html": html, "headers": headers}
        cache.set(
            self.key,
            {"gens": self.gens, "meta": self.meta, "variants": self.variants},
            timeout=self.timeout,
        )


def _start_generation(key: str):
    """A first token for a generation nobody bumped yet (once, whoever comes first),
    so that what is built under it can be told apart from what comes after."""
    token = _token()
    if cache.add(key, token, timeout=None):
        return token
    return cache.get(key)


# --- What this request has read already ----------------------------------------

# Set for the length of a request by ``pagecache.middleware`` (None elsewhere):
# the generation tokens and the entries this request read. The view then
# reuses the entry the fast path looked up, and a shared fragment under the
# generations read at the start of the request comes from this process's
# memory (``_local``) instead of another round trip and unpickling.
_request_reads: ContextVar[dict | None] = ContextVar("pagecache_request_reads", default=None)


def generation(key: str):
    """The current token of generation ``key``: the one this request read with
    its entry if it did (``lookup``'s ``also``), else read (or started) now."""
    reads = _request_reads.get()
    if reads is not None and reads["gens"].get(key) is not None:
        return reads["gens"][key]
    return cache.get(key) or _start_generation(key)


def request_reads_begin():
    """Start remembering this request's reads; returns the token for ``request_reads_end``."""
    return _request_reads.set({"gens": {}, "entries": {}})


def request_reads_end(token) -> None:
    _request_reads.reset(token)


def lookup(key: str, gen_keys: list[str], *, timeout: int, also: tuple = ()) -> Entry:
    """Read an entry and the generations it depends on, in one round trip
    (and the generations ``also`` names, for the fragments a page will need)."""
    if not enabled():
        return Entry(key=key, gens=(), timeout=timeout)
    reads = _request_reads.get()
    if reads is not None and key in reads["entries"]:
        return reads["entries"][key]
    found = cache.get_many([key, *gen_keys, *also])
    for gen_key in (*gen_keys, *also):
        if found.get(gen_key) is None:  # never bumped, or the cache was emptied
            found[gen_key] = _start_generation(gen_key)
    gens = tuple(found.get(k) for k in gen_keys)
    stored = found.get(key)
    if stored is None or tuple(stored.get("gens", ())) != gens:
        entry = Entry(key=key, gens=gens, timeout=timeout)
    else:
        entry = Entry(
            key=key,
            gens=gens,
            timeout=timeout,
            meta=stored.get("meta") or {},
            variants=stored.get("variants") or {},
            valid=True,
        )
    if reads is not None:
        reads["gens"].update({k: found.get(k) for k in (*gen_keys, *also)})
        reads["entries"][key] = entry
    return entry


def article_entry(pk: int, *, language: str, entitlement: str) -> Entry:
    return lookup(
        f"{PREFIX}:page:{language}:article:{pk}:{entitlement}",
        [GLOBAL, article_gen_key(pk)],
        timeout=article_seconds(),
        also=(LISTS,),  # what the page's shared fragments depend on
    )


def list_page(kind: str, slug: str = "", number: int = 1) -> str:
    """The cache name of a list page, from its URL alone (no database lookup needed)."""
    return "home" if kind == "home" else f"{kind}:{slug}:{number}"


def search_page(query: str, number: int, *, rules_version: str, kind: str = "search") -> str:
    """The cache name of a search results page, from its URL alone: the ``q``
    the reader sent (hashed: any length, any characters), the page number (the
    API's: its ``limit``) and the version of the paywall rules its snippets
    were decided under. ``kind`` keeps the site's pages and the API's apart."""
    digest = hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return f"{kind}:{rules_version}:{digest}:{number}"


LIST_INDEX = f"{PREFIX}:gen:listindex"  # ``pagecache.listindex``'s token


def list_entry(page: str, *, language: str, entitlement: str) -> Entry:
    return lookup(
        f"{PREFIX}:page:{language}:{page}:{entitlement}",
        [GLOBAL, LISTS],
        timeout=list_seconds(),
        also=(LIST_INDEX,),  # read with the entry: a miss looks its list's index up by it
    )


# Shared fragments this process read or built, by key and generations: at most
# ``LOCAL_FRAGMENTS``, each for at most its timeout (as in the shared cache).
LOCAL_FRAGMENTS = 256
_local: OrderedDict = OrderedDict()
_local_lock = threading.Lock()


def _local_get(key: str, gens: tuple):
    with _local_lock:
        found = _local.get(key)
        if found is None or found[0] != gens or found[1] < time.monotonic():
            return None
        _local.move_to_end(key)
        return found


def _local_put(key: str, gens: tuple, value, timeout: int) -> None:
    with _local_lock:
        _local[key] = (gens, time.monotonic() + timeout, value)
        _local.move_to_end(key)
        while len(_local) > LOCAL_FRAGMENTS:
            _local.popitem(last=False)


def shared_fragment(
    name: str, build, *, timeout: int | None = None, lists: bool = True, keep_local: bool = True
):
    """A value shared by many pages (hot topics, galleries), rebuilt per generation.

    ``lists=False`` for what a publish does not change (the menu, hot topics,
    galleries): it is kept under the global generation only, so the first
    pages after every publish do not rebuild it; what changes it without a
    save (a roll-up's trending topics, a gallery's publication time) shows
    within the fragment's timeout.

    Inside a request whose generations are known (``lookup`` read them), a
    value this process already holds under the same generations is returned
    without a round trip; callers must not change what they get.
    ``keep_local=False`` for values of which there are many, each asked for
    rarely (a search's ranking per words): they would push the few shared by
    every page out of this process's memory.
    """
    key = f"{PREFIX}:frag:{name}"
    timeout = timeout or list_seconds()
    gen_keys = [GLOBAL, LISTS] if lists else [GLOBAL]
    reads = _request_reads.get()
    if keep_local and reads is not None and enabled():
        gens = tuple(reads["gens"].get(k) for k in gen_keys)
        if None not in gens and (found := _local_get(key, gens)) is not None:
            return found[2]
    entry = lookup(key, gen_keys, timeout=timeout)
    hit = entry.get("-")
    if hit is not None:
        value = hit["html"]
    else:
        value = build()
        entry.store("-", value, {})
    if keep_local and entry.gens and None not in entry.gens:
        _local_put(key, entry.gens, value, timeout)
    return value


# --- Invalidation from model changes ------------------------------------------


def _article_changed(sender, instance, **kwargs):
    # Drafts nobody can see do not need a purge; anything that is or was
    # live does (an edit, a publish, an unpublish).
    if instance.status in {"published", "unpublished"} or instance.first_published_at:
        purge_for_article(instance)


def _related_changed(sender, instance, **kwargs):
    from articles.models import Article

    purge_for_article(Article(pk=instance.article_id))


def _m2m_changed(sender, instance, action, **kwargs):
    if action.startswith("post_"):
        from articles.models import Article

        if isinstance(instance, Article):
            _article_changed(Article, instance)
        else:
            purge_all()


def _everything_changed(sender, **kwargs):
    purge_all()


def connect_invalidation() -> None:
    """Hook the purges to model saves and deletes (called once from an AppConfig)."""
    from articles.models import (
        Agency,
        Article,
        Author,
        Gallery,
        GalleryPhoto,
        Photo,
        Section,
        Topic,
    )

    uid = "pagecache.store"
    for signal in (post_save, post_delete):
        signal.connect(_article_changed, sender=Article, dispatch_uid=f"{uid}.article")
        signal.connect(
            _related_changed, sender=Article.related.through, dispatch_uid=f"{uid}.related"
        )
        for model in (Section, Topic, Author, Agency, Photo, Gallery, GalleryPhoto):
            signal.connect(
                _everything_changed, sender=model, dispatch_uid=f"{uid}.{model.__name__}"
            )
    for through in (Article.topics.through, Article.authors.through):
        m2m_changed.connect(_m2m_changed, sender=through, dispatch_uid=f"{uid}.{through.__name__}")


def purge_feeds_and_sitemaps() -> None:
    """Called by the pipeline after a publish.

    Feeds and sitemaps are rendered per request (the CDN keeps them for the
    few minutes their headers allow), so there is nothing to forget here.
    """
    return None
