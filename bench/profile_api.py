"""CPU per content-API request, in-process: web (this process) plus database
(the PostgreSQL backend serving this process, read from ``/proc``).

``bench/run.py`` measures the API through gunicorn and wrk; this script says
what one request costs and where the time goes, through the whole Django
stack (``Client``, every middleware, ninja's routing, the rate limit, the
ETag), for an anonymous reader without cookies, as the bench asks:

- ``list``: ``/api/v1/articles`` (20 cards);
- ``list metered``: ``/api/v1/articles?access_level=metered``;
- ``detail``: ``/api/v1/articles/<id>`` of the bench's free article, every time;
- ``detail rotating``: a different published article each request (a second
  ``--rounds`` finds their rows kept);
- ``list rotating``: the lists ``make bench``'s ``api_list_uncached`` walks
  (``bench/probe.py``'s ``api_rotation``: by cursor, then by section and topic),
  each a miss of the kept answers;
- ``search rotating``: a new query each request, the words ``make bench``'s
  ``api_search_uncached`` asks for (``bench/probe.py``'s ``search_rotation``);
- ``(cold: generations bumped)``: every page-cache generation bumped before
  each request, as just after a publish (what a kept answer saves).

Run it with the bench's production settings (``DEBUG=0``, rate limits high)::

    DEBUG=0 API_RATE_ANONYMOUS=100000000 DATABASE_URL=postgres://... \\
        REDIS_URL=redis://127.0.0.1:6379/N .venv/bin/python bench/profile_api.py [--n 300]

``--profile NAME`` prints a pyinstrument (or cProfile) profile of that scenario.
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

from django.test import Client  # noqa: E402

from articles.models import Article  # noqa: E402
from pagecache import store as page_cache  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import profile_render  # noqa: E402 - its HOST and measure
from probe import api_rotation, search_rotation  # noqa: E402 - the bench's rotating requests

HOST = profile_render.HOST


def scenarios(n: int) -> dict[str, tuple]:
    """Name: (paths, what to do before each request[, warm-up paths: the first 20])."""
    published = Article.objects.published().order_by("-published_at", "-pk")
    free = published.filter(access_level="free").first()
    rotating = [f"/api/v1/articles/{pk}" for pk in published.values_list("pk", flat=True)[:n]]
    listed = api_rotation("api_list", limit=n + 20)
    searched = search_rotation(limit=n + 20, base="/api/v1/search")
    return {
        "list": (["/api/v1/articles"] * n, None),
        "list metered": (["/api/v1/articles?access_level=metered"] * n, None),
        "list (cold: generations bumped)": (["/api/v1/articles"] * n, page_cache.purge_all),
        "detail": ([f"/api/v1/articles/{free.pk}"] * n, None),
        "detail (cold: generations bumped)": (
            [f"/api/v1/articles/{free.pk}"] * n,
            page_cache.purge_all,
        ),
        "detail rotating": ((rotating * (n // max(1, len(rotating)) + 1))[:n], None),
        # Warmed on lists of its own, then each measured list asked once.
        "list rotating": (listed[20:], None, listed[:20]),
        # A new query each request (the bench's ``api_search_uncached``).
        "search rotating": (searched[20:], None, searched[:20]),
    }


def measure(client, paths, before=None) -> tuple[list[float], list[float]]:
    return profile_render.measure(client, paths, before, misses=False)


def run_table(n: int, rounds: int) -> None:
    client = Client()
    client.get("/healthz", HTTP_HOST=HOST)
    table = scenarios(n)
    print(f"| request (n={n} x {rounds}) | web ms | db ms | total ms |")
    print("|---|---|---|---|")
    for name, (paths, before, *warm) in table.items():
        measure(client, warm[0] if warm else paths[:20], before)  # warm-up
        web, db = [], []
        for _ in range(rounds):
            w, d = measure(client, paths, before)
            web += w
            db += d
        # Means: the database's CPU is read in clock ticks (10 ms), too coarse for a median.
        web_ms, db_ms = statistics.fmean(web), statistics.fmean(db)
        print(f"| {name} | {web_ms:.2f} | {db_ms:.2f} | {web_ms + db_ms:.2f} |", flush=True)


def run_profile(name: str, n: int) -> None:
    client = Client()
    paths, before, *warm = scenarios(n)[name]
    measure(client, warm[0] if warm else paths[:20], before)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        measure(client, paths, before)
        profiler.disable()
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        lines = int(os.environ.get("PROFILE_LINES", "60"))  # more, to grep for a module
        pstats.Stats(profiler).sort_stats(order).print_stats(lines)
        return
    profiler = Profiler(interval=0.0002)
    profiler.start()
    measure(client, paths, before)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=True))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile", metavar="NAME")
    args = parser.parse_args()
    if args.profile:
        run_profile(args.profile, args.n)
    else:
        run_table(args.n, args.rounds)


if __name__ == "__main__":
    main()
