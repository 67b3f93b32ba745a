"""CPU per uncached reader page, in-process: web (this process) plus database
(the PostgreSQL backend serving this process, read from ``/proc``).

``bench/run.py`` measures pages through gunicorn and wrk; this script answers
the narrower question "what does one page *miss* cost, and where does the time
go", for the article, home, section, topic and author pages, without a load
generator. Each request goes through the whole Django stack (``Client``, every
middleware) and misses the page cache:

- ``article``: a different article each request (free, registration and
  premium teasers, as the bench's uncached scenario rotates), so the page entry
  misses while the shared per-section lists stay warm, as on a busy site;
- ``search``: a different query each request (page 1: a page miss and a new ranking);
- ``search, next page``: page 2 of each of those words, page 1 asked for
  just before (not measured): a page miss whose ranking is kept;
- ``home``, ``section``, ``topic``, ``author``: the page entry is deleted
  before each request (``warm``: shared fragments kept), or every generation
  is bumped before each request (``cold``: as just after a publish);
- ``section``, ``topic``, ``author`` ``(rotating ?page=)``: every page of every
  section, topic or author in turn, page 1 of each first (``bench/probe.py``'s
  ``list_rotation``, the URLs ``make bench``'s uncached list scenarios walk),
  each a page miss, after one purge.

Usage (PostgreSQL and Redis, a database seeded with ``seed_demo``)::

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/N \\
        .venv/bin/python bench/profile_render.py [--n 200] [--profile article]

``--profile PAGE`` prints a pyinstrument (or cProfile) profile of that page's
misses instead of the table.
Without pyinstrument, cProfile's table: ``PROFILE_SORT`` (``cumulative``, or
``tottime``) and ``PROFILE_LINES`` choose its order and length.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from articles.models import Article, Author, Section, Topic  # noqa: E402
from pagecache import store as page_cache  # noqa: E402

HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu() -> float:
    """Seconds of CPU the PostgreSQL backend of this connection has used."""
    if connection.vendor != "postgresql":
        return 0.0
    if not hasattr(backend_cpu, "pid"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_cpu.pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{backend_cpu.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def list_pages() -> dict[str, tuple[str, str]]:
    section = Section.objects.filter(parent__isnull=True).order_by("position", "pk").first()
    topic = Topic.objects.filter(is_hot=True).order_by("hot_order", "pk").first() or (
        Topic.objects.order_by("pk").first()
    )
    author = Author.objects.order_by("pk").first()
    return {
        "home": (reverse("website:home"), page_cache.list_page("home")),
        "section": (
            reverse("website:section", args=[section.slug]),
            page_cache.list_page("section", section.slug, 1),
        ),
        "topic": (
            reverse("website:topic", args=[topic.slug]),
            page_cache.list_page("topic", topic.slug, 1),
        ),
        "author": (
            reverse("website:author", args=[author.slug]),
            page_cache.list_page("author", author.slug, 1),
        ),
    }


def article_paths(n: int) -> list[str]:
    rows = (
        Article.objects.published()
        .exclude(access_level="metered")
        .select_related("section")
        .order_by("-published_at", "-pk")[:n]
    )
    return [a.get_absolute_url() for a in rows]


def search_paths(n: int) -> list[str]:
    """Page 1 of distinct searches (``bench/probe.py``'s ``search_words``): each a
    new query, as the bench's ``search_uncached``."""
    from probe import search_words  # bench/probe.py, beside this script

    return [f"{reverse('website:search')}?q={word}" for word in search_words()][:n]


def warm(client: Client) -> None:
    """Imports, connections, the per-section lists and page 1 of every section,
    topic and author (which builds each list's index, ``pagecache.listindex``:
    kept until the list changes, whatever the purges), as on a server that has
    been up."""
    from probe import list_rotation  # bench/probe.py, beside this script

    client.get("/healthz", HTTP_HOST=HOST)
    for path in article_paths(50):
        client.get(path, HTTP_HOST=HOST)
    for kind in ("section", "topic", "author"):
        for path in list_rotation(kind):
            if "?" in path:
                break  # page 1 of every owner comes first
            client.get(path, HTTP_HOST=HOST)


def measure(client: Client, paths, before=None, *, misses=True) -> tuple[list[float], list[float]]:
    """Web and database CPU (ms) of each request (each a page-cache miss, unless
    ``misses`` is False: the API's answers are not pages)."""
    web, db = [], []
    for path in paths:
        if before:
            before()
        w0, d0 = time.process_time(), backend_cpu()
        response = client.get(path, HTTP_HOST=HOST)
        w1, d1 = time.process_time(), backend_cpu()
        assert response.status_code == 200, (path, response.status_code)
        assert not misses or response["X-Page-Cache"] == "miss", path
        web.append((w1 - w0) * 1000)
        db.append((d1 - d0) * 1000)
    return web, db


def scenarios(n: int):
    from probe import list_rotation  # bench/probe.py, beside this script

    # The first 50 articles warmed the per-section lists (``warm``); the rest are measured.
    yield "article (rotating, lists warm)", article_paths(n + 55)[50:], None
    for kind in ("section", "topic", "author"):
        paths = list_rotation(kind)
        if len(paths) < n + 5:  # a small site: walk it again, after a purge
            paths = (paths * (1 + (n + 5) // max(len(paths), 1)))[: n + 5]
        yield f"{kind} (rotating ?page=)", paths[: n + 5], _purge_on_repeat(paths[: n + 5])
    paths = search_paths(n + 5)
    if len(paths) < n + 5:  # few common words: walk them again, after a purge
        paths = (paths * (1 + (n + 5) // max(len(paths), 1)))[: n + 5]
    yield "search, a new query (page 1)", paths, _purge_on_repeat(paths)
    firsts = list(dict.fromkeys(paths))  # each word once: its page 2 is a page miss
    yield (
        "search, next page (page 1 read first)",
        [f"{p}&page=2" for p in firsts],
        _first_page(firsts),
    )
    for name, (path, page) in list_pages().items():
        key = f"{page_cache.PREFIX}:page:id:{page}:anonymous"
        yield (
            f"{name} (page miss, fragments warm)",
            [path] * (n + 5),
            lambda key=key: cache.delete(key),
        )
        yield f"{name} (cold: generations bumped)", [path] * (n + 5), page_cache.purge_all


def _purge_on_repeat(paths: list[str]):
    """Purge before the first request and before a path comes round again, so
    every request is a page miss (as in ``make bench``'s rotation)."""
    seen: set[str] = set()
    remaining = iter(paths)

    def before() -> None:
        path = next(remaining)
        if not seen or path in seen:
            page_cache.purge_all()
            seen.clear()
        seen.add(path)

    return before


def _first_page(firsts: list[str]):
    """Ask for page 1 of the words before their page 2 is measured (a reader
    paging on): the ranking is kept, page 2 is still a page miss."""
    remaining = iter(firsts)
    reader = Client()

    def before() -> None:
        reader.get(next(remaining), HTTP_HOST=HOST)

    return before


def run_table(n: int) -> None:
    client = Client()
    warm(client)
    # Means: the database's CPU is read in clock ticks (10 ms), too coarse for a median.
    print(f"| page ({connection.vendor}, n={n}) | web ms | db ms | total ms |")
    print("|---|---|---|---|")
    for name, paths, before in scenarios(n):
        measure(client, paths[:5], before)  # warm-up
        web, db = measure(client, paths[5:], before)
        web_ms, db_ms = statistics.fmean(web), statistics.fmean(db)
        print(f"| {name} | {web_ms:.1f} | {db_ms:.1f} | {web_ms + db_ms:.1f} |", flush=True)


def run_profile(page: str, n: int) -> None:
    client = Client()
    warm(client)
    chosen = next((s for s in scenarios(n) if s[0].startswith(page)), None)
    if chosen is None:
        raise SystemExit(f"no page {page!r}")
    _name, paths, before = chosen
    measure(client, paths[:5], before)
    paths = paths[5:]
    try:
        from pyinstrument import Profiler
    except ImportError:  # pyinstrument is not a dependency; cProfile always is
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        measure(client, paths, before)
        profiler.disable()
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        lines = int(os.environ.get("PROFILE_LINES", "40"))  # more, to grep for a module
        pstats.Stats(profiler).sort_stats(order).print_stats(lines)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    measure(client, paths, before)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--profile", metavar="PAGE")
    args = parser.parse_args()
    cache.clear()
    if args.profile:
        run_profile(args.profile, args.n)
    else:
        run_table(args.n)


if __name__ == "__main__":
    main()
