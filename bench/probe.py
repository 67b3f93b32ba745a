"""The benchmark's look inside Django, run once per database by ``bench/run.py``.

It runs in its own process with the benchmark's environment (production
settings, the bench database and cache) and prints one JSON document:

- ``count``: how many demo articles the database holds (to reuse a seeded DB);
- ``prepare``: sessions for the demo ``reader`` and ``premium`` accounts, the
  URLs of every scenario, the paths the "uncached" scenario rotates through,
  the SQL queries each URL runs (counted in-process with
  ``CaptureQueriesContext``, so production code carries no counting hook),
  and, with ``--explain``, the PostgreSQL plans of the hot queries.

Usage: ``python bench/probe.py count --out FILE`` or
``python bench/probe.py prepare --out FILE --paths FILE [--explain]`` (the JSON
goes to a file because Django logs to stdout).
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
)
from django.contrib.staticfiles.storage import staticfiles_storage  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from articles.models import Article, Author, Section, Topic  # noqa: E402

ROTATION_LIMIT = 20_000  # distinct article URLs for the uncached scenario
SEARCH_TERM = "inflasi"
COMMON_SEARCH_TERM = "harga"  # in about half of the demo articles
HOST = "127.0.0.1"


def demo_article_count() -> int:
    return Article.objects.filter(slug__startswith="demo-").count()


# --- Sessions ------------------------------------------------------------------


def session_for(username: str) -> str:
    """A logged-in session key for a demo account, made with the session engine
    (no login form, no CSRF, no django-axes in the way)."""
    from importlib import import_module

    user = get_user_model().objects.get(username=username)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


# --- URLs ----------------------------------------------------------------------


def newest(access_level: str) -> Article:
    return (
        Article.objects.published()
        .filter(access_level=access_level)
        .select_related("section")
        .order_by("-published_at", "-pk")
        .first()
    )


def search_url() -> str:
    """The site's search page: by URL name if it has one, else the usual path."""
    for name in ("website:search", "search", "site:search", "reader:search"):
        try:
            return f"{reverse(name)}?q={SEARCH_TERM}"
        except NoReverseMatch:
            continue
    return f"/cari/?q={SEARCH_TERM}"


def api_urls(article: Article) -> dict[str, str]:
    """The API's article list and detail paths, read from its own OpenAPI schema."""
    from newsroom.api import api

    paths = api.get_openapi_schema().get("paths", {})
    found = {"api_list": "/api/v1/articles", "api_detail": f"/api/v1/articles/{article.pk}"}
    for path, operations in paths.items():
        if "get" not in operations or "/editor/" in path:
            continue  # the reader-facing endpoints, not the token-only editor ones
        if re.search(r"/articles/?$", path):
            found["api_list"] = path
        detail = re.search(r"/articles/\{(\w+)\}/?$", path)
        if detail:
            value = article.slug if "slug" in detail.group(1) else article.pk
            found["api_detail"] = path.replace("{" + detail.group(1) + "}", str(value))
    return found


def scenario_urls() -> dict[str, str]:
    free, metered, premium = newest("free"), newest("metered"), newest("premium")
    section = Section.objects.order_by("position", "pk").first()
    urls = {
        "article_anon": free.get_absolute_url(),
        "article_metered": metered.get_absolute_url(),
        "article_premium": premium.get_absolute_url(),
        "home": reverse("website:home"),
        "section": reverse("website:section", args=[section.slug]),
        "topic": Topic.objects.order_by("pk").first().get_absolute_url(),
        "author": Author.objects.order_by("pk").first().get_absolute_url(),
        "search": search_url(),
        "api_search": f"/api/v1/search?q={SEARCH_TERM}",
        **api_urls(free),
        # The floor of gunicorn + WSGI: a file WhiteNoise serves before any view runs.
        "wsgi_floor": staticfiles_storage.url("admin/css/base.css"),
    }
    for name in urls:  # BENCH_URL_HOME=/x overrides a URL without code changes
        urls[name] = os.environ.get(f"BENCH_URL_{name.upper()}", urls[name])
    return urls


def rotation_paths(exclude: set[str]) -> list[str]:
    """Distinct article URLs, newest first, for the uncached scenario.

    Metered articles are left out: for a visitor without a cookie their first
    read is not a shareable page but a meter being issued and spent (database
    writes, a private response), and wrk would leave a new meter behind for
    every such request. Free articles and the teasers of registration and
    premium articles are what anonymous readers share.
    """
    articles = (
        Article.objects.published()
        .exclude(access_level="metered")
        .select_related("section")[: ROTATION_LIMIT + 10]
    )
    return [url for a in articles if (url := a.get_absolute_url()) not in exclude][:ROTATION_LIMIT]


def list_rotation(kind: str, limit: int = 3000) -> list[str]:
    """Distinct pages of every section, topic or author (``?page=n``), page 1 first:
    each is a miss for the page cache (the archive walked by readers and bots),
    up to the last page the site shows (``MAX_PAGE``; past it is a 404)."""
    from website.views import MAX_PAGE, PER_PAGE

    live = Article.objects.published()
    if kind == "section":
        owners = [
            (s.get_absolute_url(), live.filter(section=s).count()) for s in Section.objects.all()
        ]
    elif kind == "topic":
        owners = [
            (t.get_absolute_url(), live.filter(topics=t).count()) for t in Topic.objects.all()
        ]
    else:
        owners = [
            (a.get_absolute_url(), live.filter(authors=a).count()) for a in Author.objects.all()
        ]
    pages = min(max((count + PER_PAGE - 1) // PER_PAGE for _, count in owners), MAX_PAGE)
    paths = []
    for number in range(1, pages + 1):  # interleaved: page 1 of every owner first
        for url, count in owners:
            if number <= max(1, (count + PER_PAGE - 1) // PER_PAGE):
                paths.append(url if number == 1 else f"{url}?page={number}")
    return paths[:limit]


def search_words() -> list[str]:
    """Words readers search for that have results: those ``ANALYZE`` found most
    common in headlines, then in bodies (``website.search``'s statistics)."""
    from website.search_plans import lexeme_statistics

    stats = lexeme_statistics()
    words = []
    for part in ("title", "body"):
        shares = stats[part]
        words += sorted(shares, key=lambda w: -shares[w])
    words = [w for w in dict.fromkeys(words) if w.isalpha() and len(w) > 2]
    return words or [SEARCH_TERM]


def search_rotation(
    pages: range = range(1, 2), limit: int = 3000, base: str | None = None
) -> list[str]:
    """Distinct search pages, each a page-cache miss: page 1 of each of
    ``search_words`` (each a new query: its ranking is not kept), or their next
    ``pages``, page 2 of every word first; the site's search, or the API's
    (``base``, one page only)."""
    base = base or search_url().split("?", 1)[0]
    paths = []
    for number in pages:
        for word in search_words():
            paths.append(f"{base}?q={word}" + (f"&page={number}" if number > 1 else ""))
    return paths[:limit]


def api_rotation(kind: str, limit: int = 3000) -> list[str]:
    """Distinct API requests, each a miss for the API's kept answers: the list
    at its default page size, walked by cursor from distinct articles as a
    client or a bot walks the archive, then filtered by section and topic
    (``api_list``), or the detail of distinct shareable articles (``api_detail``)."""
    some = Article.objects.published().exclude(access_level="metered").first()
    found = api_urls(some)
    if kind == "api_detail":
        base = found["api_detail"].rsplit("/", 1)[0]
        pks = (
            Article.objects.published()
            .exclude(access_level="metered")
            .values_list("pk", flat=True)[:limit]
        )
        return [f"{base}/{pk}" for pk in pks]
    from website.api import encode_cursor

    base = found["api_list"]
    moments = Article.objects.published().order_by("-published_at", "-pk")
    paths = [
        f"{base}?cursor={encode_cursor(moment, pk)}"
        for moment, pk in moments.values_list("published_at", "pk")[:limit]
    ]
    paths += [f"{base}?section={slug}" for slug in Section.objects.values_list("slug", flat=True)]
    paths += [f"{base}?topic={slug}" for slug in Topic.objects.values_list("slug", flat=True)]
    return paths[:limit]


def backend_cpu_seconds() -> float:
    """CPU time of this process's PostgreSQL backend so far (same machine), from /proc."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def uncached_in_process(urls: dict[str, str], repeat: int = 40, warm_up: int = 40) -> dict:
    """CPU per request of pages rendered after a purge, as a publish leaves them:
    the page cache's list generation bumped before every request (so shared
    fragments are rebuilt too), web CPU of this process plus its database
    backend's. In-process (Django's test client, not gunicorn): a figure to
    compare with the wrk rows, not a load test.

    Each page is first asked for ``warm_up`` times after a purge, untimed: the
    first rebuilds in a new process fill what a server that has been up
    already holds (per-process memos of cards' renditions and addresses, the
    backend's plans), which a purge leaves in place. With one warm-up request,
    home at 1,000 articles read 5.9 to 13.8 ms in three runs of one hour; in
    one process, 8.5 ms for the first 40 requests and 5.6 for the next."""
    import time

    from pagecache import store as page_cache

    if connection.vendor != "postgresql":
        return {}
    client = Client(raise_request_exception=False)
    results = {}
    for name in ("home", "section", "topic", "author"):
        url = urls.get(name)
        if not url:
            continue
        client.get(url, HTTP_HOST=HOST)  # imports, connection
        for _ in range(warm_up):
            page_cache.purge_lists()
            client.get(url, HTTP_HOST=HOST)
        web = db = 0.0
        for _ in range(repeat):
            page_cache.purge_lists()
            db_before, web_before = backend_cpu_seconds(), time.process_time()
            status = client.get(url, HTTP_HOST=HOST).status_code
            web += time.process_time() - web_before
            db += backend_cpu_seconds() - db_before
        results[name] = {
            "url": url,
            "status": status,
            "requests": repeat,
            "web_ms": round(web * 1000 / repeat, 2),
            "db_ms": round(db * 1000 / repeat, 2),
            "total_ms": round((web + db) * 1000 / repeat, 2),
        }
    return results


# --- Query counts --------------------------------------------------------------


def fetch(client: Client, url: str) -> dict:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_HOST=HOST)
    return {
        "status": response.status_code,
        "queries": len(ctx.captured_queries),
        "sql": [q["sql"] for q in ctx.captured_queries],
    }


def count_queries(urls: dict[str, str], sessions: dict[str, str], uncached_url: str) -> dict:
    """Queries per URL: the first fetch (cold) and a repeat (warm, page cache hit).

    The uncached article is fetched once, on a URL nobody asked for yet.
    """
    cookie = settings.SESSION_COOKIE_NAME
    clients = {"anonymous": Client(raise_request_exception=False)}
    for username, key in sessions.items():
        clients[username] = Client(raise_request_exception=False)
        clients[username].cookies[cookie] = key
    who = {"article_metered": "reader", "article_premium": "premium"}
    fetch(clients["anonymous"], "/healthz")  # open the connection outside the counts
    results = {}
    for name, url in urls.items():
        client = clients[who.get(name, "anonymous")]
        cold, warm = fetch(client, url), fetch(client, url)
        results[name] = {"url": url, "cold": cold, "warm": warm}
    results["article_uncached"] = {
        "url": uncached_url,
        "cold": fetch(clients["anonymous"], uncached_url),
    }
    return results


# --- EXPLAIN -------------------------------------------------------------------


def table_rows() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, GREATEST(c.reltuples::bigint, s.n_live_tup) FROM pg_class c "
            "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace"
        )
        return dict(cursor.fetchall())


EXPLAIN_TIMEOUT_S = 20


def explain_sql(sql: str) -> str:
    """EXPLAIN ANALYZE, or the plan alone when running the query takes too long."""

    def run(prefix: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            return "\n".join(row[0] for row in cursor.fetchall())

    try:
        return run("EXPLAIN (ANALYZE, BUFFERS) ")
    except Exception:  # noqa: BLE001 - the statement timeout cancelled it
        return (
            f"EXPLAIN ANALYZE cancelled after {EXPLAIN_TIMEOUT_S} s; the plan without timings:\n"
            + run("EXPLAIN ")
        )


def seq_scans(plan: str, rows: dict[str, int]) -> list[dict]:
    """Sequential scans in a plan, flagged when the table is big (a hot-path problem)."""
    scans = []
    for table in re.findall(r"Seq Scan on (\w+)", plan):
        scans.append(
            {"table": table, "rows": rows.get(table, 0), "flag": rows.get(table, 0) > 10_000}
        )
    return scans


def named_queries() -> dict[str, object]:
    """The hot reads the site and API make, as querysets (PostgreSQL plans them)."""
    from articles.selectors import related_articles

    section = Section.objects.order_by("position", "pk").first()
    topic = Topic.objects.filter(is_hot=True).order_by("hot_order").first()
    author = Author.objects.order_by("pk").first()
    article = Article.objects.published().order_by("-published_at").first()
    published = Article.objects.published().for_listing()
    queries = {
        "latest published (home)": published[:20],
        "section listing": published.filter(section=section)[:30],
        "topic listing": published.filter(topics=topic)[:30],
        "author listing": published.filter(authors=author)[:30],
        "related articles (selectors.related_articles)": related_articles(article),
        "article by pk": Article.objects.published()
        .select_related("section", "lead_photo")
        .filter(pk=article.pk),
        "API list ?section=": published.filter(section__slug=section.slug)[:20],
        "API list ?topic=": published.filter(topics__slug=topic.slug)[:20],
        "API list ?author=": published.filter(authors__slug=author.slug)[:20],
        "API list ?access_level=premium": published.filter(access_level="premium")[:20],
        "hot topics": Topic.objects.filter(is_hot=True).order_by("hot_order")[:8],
    }
    try:
        from django.utils import timezone

        from paywall.rights import ANONYMOUS
        from website.search import clean_query, ranked_queryset
        from website.search_plans import candidate_bound, candidate_plan, period_window

        levels = sorted(ANONYMOUS.search_levels)
        now = timezone.now()
        for term in (SEARCH_TERM, COMMON_SEARCH_TERM):
            # The candidates' plan depends on how many articles match
            # (``website.search_plans.candidate_plan``): a word of a few percent of
            # articles, and one of about half of them. A plain word is read
            # from the newest periods first (``period_window``), the plan a
            # search runs while the window holds the bound's worth of matches.
            plan = candidate_plan(term, levels) if connection.vendor == "postgresql" else "-"
            name = f"search {term!r} (website.search.ranked_queryset, anonymous; {plan})"
            queries[name] = ranked_queryset(clean_query(term), levels=levels, now=now, plan=plan)
            window = None
            if connection.vendor == "postgresql":
                window = period_window(term, levels, now=now, bound=candidate_bound())
            if window is not None:
                name = f"search {term!r} (anonymous; window of {window.periods} periods)"
                queries[name] = ranked_queryset(
                    clean_query(term), levels=levels, now=now, plan="window", window=window
                )
    except (ImportError, TypeError, AttributeError) as exc:
        queries["search"] = f"not available: {exc}"
    return queries


def explain_all(query_counts: dict) -> list[dict]:
    rows = table_rows()
    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{EXPLAIN_TIMEOUT_S}s'")
    plans = []
    for name, queryset in named_queries().items():
        if isinstance(queryset, str):
            plans.append({"name": name, "sql": "", "plan": queryset, "seq_scans": []})
            continue
        sql = connection.ops.compose_sql(*queryset.query.sql_with_params())  # values bound
        plan = explain_sql(sql)
        plans.append({"name": name, "sql": sql, "plan": plan, "seq_scans": seq_scans(plan, rows)})
    seen = set()
    for scenario, result in query_counts.items():
        for number, sql in enumerate(result["cold"]["sql"], start=1):
            if not sql.lstrip().upper().startswith("SELECT") or sql in seen:
                continue
            seen.add(sql)
            plan = explain_sql(sql)
            plans.append(
                {
                    "name": f"{scenario}, query {number} (captured)",
                    "sql": sql,
                    "plan": plan,
                    "seq_scans": seq_scans(plan, rows),
                }
            )
    return plans


# --- Commands ------------------------------------------------------------------


def prepare(paths_file: Path, explain: bool) -> dict:
    cache.clear()  # start from a cold page cache; sessions are made after this
    sessions = {name: session_for(name) for name in ("reader", "premium")}
    urls = scenario_urls()
    rotation = rotation_paths(exclude=set(urls.values()))
    paths_file.write_text("\n".join(rotation) + "\n")
    lists = {}
    kinds = (
        "section",
        "topic",
        "author",
        "search",
        "search_pages",
        "api_search",
        "api_list",
        "api_detail",
    )
    for kind in kinds:
        if kind == "search":
            listed = search_rotation()
        elif kind == "api_search":
            listed = search_rotation(base=urls["api_search"].split("?", 1)[0])
        elif kind == "search_pages":
            listed = search_rotation(pages=range(2, 6))
        elif kind.startswith("api_"):
            listed = api_rotation(kind)
        else:
            listed = list_rotation(kind)
        listed_file = paths_file.with_name(f"{paths_file.stem}-{kind}.txt")
        listed_file.write_text("\n".join(listed) + "\n")
        lists[kind] = {"file": str(listed_file), "count": len(listed)}
    counts = count_queries(urls, sessions, uncached_url=rotation[-1])
    result = {
        "articles": demo_article_count(),
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "urls": urls,
        "rotation": {"file": str(paths_file), "count": len(rotation)},
        "list_rotations": lists,
        "queries": counts,
        "uncached_in_process": uncached_in_process(urls),
        "database": connection.vendor,
    }
    if explain and connection.vendor == "postgresql":
        result["explain"] = explain_all(counts)
    for entry in counts.values():  # the SQL text is only needed for EXPLAIN
        for phase in ("cold", "warm"):
            entry.get(phase, {}).pop("sql", None)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["count", "prepare"])
    parser.add_argument("--paths", type=Path)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "count":
        result = {"articles": demo_article_count()}
    else:
        result = prepare(args.paths, args.explain)
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
