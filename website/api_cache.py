"""The content API's article list and detail, kept under the page cache's generations.

A list carries cards only (never a body), so its JSON is the same for every
reader: it is kept once per query (the validated filters), language and time
zone (both change the links), under the page cache's ``global`` and
``lists`` generations (``pagecache.store``), which every change to an article,
section, topic, author, agency or photo bumps. What no write announces (an
embargo lifting, an article expiring) shows within ``LIST_SECONDS``: the
``max-age`` the response already lets any shared cache keep it for.

A detail is never kept as JSON: what it shows depends on the reader. Its
row, topics and authors are kept (under ``global`` and the article's own
generation, as the article page), the liveness rule is checked on the kept
row at every request, and the paywall decides on every request as before.
"""

import hashlib

import orjson
from django.utils import timezone
from django.utils.translation import get_language

from articles.liveness import is_live
from core.api_http import PUBLIC_MAX_AGE
from pagecache import store as page_cache

from .api_payloads import Links, detail_parts, live_detail_row, liveness_of

LIST_SECONDS = PUBLIC_MAX_AGE


def list_entry(query: dict) -> page_cache.Entry:
    """The cache entry of the article list for ``query`` (the filters as ninja
    validated them: what the handler's answer depends on)."""
    named = {
        **query,
        "language": get_language(),
        "zone": timezone.get_current_timezone_name(),
    }
    digest = hashlib.sha256(orjson.dumps(named, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
    return page_cache.lookup(
        f"{page_cache.PREFIX}:api:articles:{digest}",
        [page_cache.GLOBAL, page_cache.LISTS],
        timeout=LIST_SECONDS,
    )


# --- One article's row, for the detail ---------------------------------------------


def detail_entry(pk: int) -> page_cache.Entry:
    """The cache entry of article ``pk``'s detail: its row, topics and authors
    (never a decision: the paywall decides on every request)."""
    return page_cache.lookup(
        f"{page_cache.PREFIX}:api:article:{pk}:{get_language()}:{timezone.get_current_timezone_name()}",
        [page_cache.GLOBAL, page_cache.article_gen_key(pk)],
        timeout=page_cache.article_seconds(),
    )


def live_detail(pk: int, *, at) -> tuple[dict, list, list, Links] | None:
    """``(row, topics, authors, links)`` of live article ``pk`` (``DETAIL_VALUES``
    and its ``TopicOut`` and ``AuthorOut`` lists), or None: from the cache while
    its generations hold and the row is still live at ``at``, else from the database.

    The row holds the whole body: it stays on the server (the cache), and what
    leaves is cut per request by the paywall's decision, as for a row read
    from the database."""
    entry = detail_entry(pk)
    kept = entry.get("-")
    if kept is not None:
        row, topics, authors = kept["html"]
        if is_live(**liveness_of(row), at=at):
            return row, topics, authors, Links()
    row = live_detail_row(pk, at=at)
    if row is None:
        return None
    topics, authors, links = detail_parts(row)
    entry.store("-", (row, topics, authors), {})
    return row, topics, authors, links
