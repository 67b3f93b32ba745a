"""`make bench`: load the Newsroom as production serves it, at 1,000 and 100,000 articles.

For each size the driver
1. makes sure the bench database exists, is migrated and holds exactly that
   many demo articles (``seed_demo``; a database already at the right count is
   reused, ``BENCH_RESEED=1`` rebuilds it);
2. asks Django in-process (``bench/probe.py``) for sessions of the demo
   ``reader`` and ``premium`` accounts, the scenario URLs, the SQL queries each
   URL runs and, at the biggest size, the PostgreSQL plans of the hot queries;
3. starts gunicorn (production settings, 2 sync workers) and nginx with
   ``proxy_cache`` in front of it (a CDN stand-in, which also serves a saved
   copy of the article page as a static file: the physical limit);
4. loads every scenario with wrk from a separate process on loopback
   (warm-up, then a fixed duration at fixed concurrency), or, for the paced
   scenarios, at a fixed offered rate from ``bench/paced.py`` (the search
   target's rate scaled by the floor, which runs first), or, for a rotation
   shorter than wrk's shortest run, once through by ``paced.closed_loop``
   (``load_without_repeats``), sampling the CPU time
   of gunicorn, nginx and the PostgreSQL backends of the bench database from
   /proc while it runs;
5. writes ``bench/results/<timestamp>.{md,json}`` and ``latest.md``.

A scenario whose URL answers 404 (a part of the site not built yet) is
reported as "not available" and the rest still runs.

Options (``python bench/run.py --help``): ``--sizes 1000`` (default
``1000,100000``), ``--duration`` (seconds per scenario). Environment knobs:
``BENCH_SIZES``, ``BENCH_DURATION`` (default 10), ``BENCH_WARMUP`` (2),
``BENCH_CONNECTIONS`` (8), ``BENCH_RESEED=1``, ``BENCH_KEEP_TMP=1``,
``BENCH_PRELOAD=0`` (gunicorn without ``--preload``), ``BENCH_WORKERS`` (2),
``BENCH_PACED_RATE``
(req/s the paced scenarios offer, instead of 200 ÷ the machine factor),
``BENCH_SCENARIOS`` (a
comma-separated subset of the scenario names, for a quick check of one change:
the floor always runs, since the limits scale by it; such a partial run is
written as ``<timestamp>-partial.md`` and leaves ``latest.md`` alone), and, to run beside
another bench on the same machine, ``BENCH_DB_PREFIX`` (``nr_bench``) and
``BENCH_PORT`` (8106; nginx on the next port).
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from string import Template

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
import paced  # noqa: E402
import report  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "nr_bench")
DATABASES = {1000: f"{DB_PREFIX}_1k", 100_000: f"{DB_PREFIX}_100k"}
REDIS_CACHE_DB, REDIS_BROKER_DB = 12, 13
REDIS_CACHE_URL = f"redis://127.0.0.1:6379/{REDIS_CACHE_DB}"
APP_PORT = int(os.environ.get("BENCH_PORT", "8106"))
NGINX_PORT = APP_PORT + 1
# gunicorn loads the application in the master and forks the workers from it:
# the code and the data imported at start-up are shared pages (PSS), see
# ``worker_memory``. BENCH_PRELOAD=0 measures the workers without it.
PRELOAD = os.environ.get("BENCH_PRELOAD", "1") != "0"
# Sync workers, one per core of the reference machine; BENCH_WORKERS=3 asks
# whether a worker more than the cores uses what two leave idle while they
# wait for PostgreSQL.
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = 2
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
DURATION = float(os.environ.get("BENCH_DURATION", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The rate the paced scenarios offer, when set; else issue 15's search target
# (200 req/s) divided by this machine's factor (``offered_rate``).
PACED_RATE = os.environ.get("BENCH_PACED_RATE")


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    url_key: str  # a key of the probe's URLs, "rotation" or "static"
    via: str = "app"  # "app": gunicorn directly; "nginx": through the CDN stand-in
    who: str | None = None  # the demo account whose session cookie is sent
    # A rotation whose paths are read (unmeasured) after each flush of the page
    # cache and before the load: what a reader asked for just before.
    prime: str | None = None
    # Requests offered on a schedule at the search target's rate
    # (``bench/paced.py``, ``offered_rate``: the latency at that rate) instead
    # of wrk's closed loop (the most the server answers).
    paced: bool = False


SCENARIOS = [
    Scenario("article_anon", "Article, anonymous, cached", "article_anon"),
    Scenario("article_uncached", "Article, anonymous, uncached (rotating URLs)", "rotation"),
    Scenario(
        "article_metered", "Article, metered reader (`reader`)", "article_metered", "app", "reader"
    ),
    Scenario("article_premium", "Article, premium subscriber", "article_premium", "app", "premium"),
    Scenario("home", "Home", "home"),
    Scenario("section", "Section", "section"),
    Scenario("topic", "Topic", "topic"),
    Scenario("author", "Author", "author"),
    Scenario("section_uncached", "Section pages, uncached (rotating ?page=)", "rotation:section"),
    Scenario("topic_uncached", "Topic pages, uncached (rotating ?page=)", "rotation:topic"),
    Scenario("author_uncached", "Author pages, uncached (rotating ?page=)", "rotation:author"),
    Scenario("search", "Search", "search"),
    # Distinct queries and pages: each a page-cache miss (``probe.search_rotation``).
    Scenario("search_uncached", "Search, a new query (rotating ?q=, page 1)", "rotation:search"),
    # The same words' next pages, each a page miss after page 1 was read (its
    # ranking kept, as for a reader paging on): ``Scenario.prime``.
    Scenario(
        "search_pages",
        "Search, next pages (rotating ?q= and ?page=2-5, page 1 read first)",
        "rotation:search_pages",
        prime="search",
    ),
    # The p50 the search targets ask for, at the rate they ask for: readers
    # arriving at 200 a second (Poisson, scaled by the machine), not 8
    # connections always waiting.
    Scenario(
        "search_uncached_paced",
        "Search, a new query, the target's rate offered",
        "rotation:search",
        paced=True,
    ),
    Scenario("api_search", "API search", "api_search"),
    Scenario(
        "api_search_uncached", "API search, a new query (rotating ?q=)", "rotation:api_search"
    ),
    Scenario(
        "api_search_uncached_paced",
        "API search, a new query, the target's rate offered",
        "rotation:api_search",
        paced=True,
    ),
    Scenario("api_list", "API article list", "api_list"),
    Scenario("api_detail", "API article detail", "api_detail"),
    # Distinct filters and articles: each a miss for the API's kept answers.
    Scenario(
        "api_list_uncached", "API article list, uncached (rotating filters)", "rotation:api_list"
    ),
    Scenario(
        "api_detail_uncached",
        "API article detail, uncached (rotating articles)",
        "rotation:api_detail",
    ),
    Scenario("wsgi_floor", "Floor: a static file through gunicorn + WhiteNoise", "wsgi_floor"),
    Scenario("nginx_article", "Article, anonymous, via nginx proxy_cache", "article_anon", "nginx"),
    Scenario("nginx_home", "Home via nginx proxy_cache", "home", "nginx"),
    Scenario("static", "Same article HTML as a static file (nginx)", "static", "nginx"),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Environment and databases ------------------------------------------------------


def app_env(database: str, size: int, tmp: Path) -> dict[str, str]:
    """Production settings against one bench database."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        # wrk is one client asking thousands of times a second: measure the API,
        # not its per-client rate limit (429).
        "API_RATE_ANONYMOUS": "100000000",
        "API_RATE_AUTHENTICATED": "100000000",
        "DATABASE_URL": f"{PG_SERVER}/{database}",
        "REDIS_URL": REDIS_CACHE_URL,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{REDIS_BROKER_DB}",
        "CACHE_KEY_PREFIX": cache_prefix(size),
        "NEWSROOM_VAR_DIR": str(ROOT / "var" / "bench"),
        "STATIC_ROOT": str(ROOT / "var" / "bench" / "static"),
        "LOG_LEVEL": "ERROR",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


SECRET_KEY = secrets.token_urlsafe(60)


def cache_prefix(size: int) -> str:
    return DATABASES[size]  # one bench's keys never meet another's


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def probe(env: dict, tmp: Path, *args: str) -> dict:
    out = tmp / "probe.json"
    subprocess.run(
        [sys.executable, str(BENCH / "probe.py"), *args, "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return json.loads(out.read_text())


def server_sql(sql: str, database: str = "postgres", params: list | None = None):
    with psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def ensure_seeded(size: int, env: dict, tmp: Path) -> dict:
    """The bench database for ``size``, migrated and holding exactly ``size`` articles."""
    database = DATABASES[size]
    exists = server_sql("SELECT 1 FROM pg_database WHERE datname = %s", params=[database])
    if exists and os.environ.get("BENCH_RESEED") == "1":
        server_sql(f'DROP DATABASE "{database}" WITH (FORCE)')
        exists = False
    if not exists:
        server_sql(f'CREATE DATABASE "{database}"')
    manage(env, "migrate", "--noinput", "-v", "0")
    count = probe(env, tmp, "count")["articles"]
    if count > size:  # a bigger leftover: start again
        server_sql(f'DROP DATABASE "{database}" WITH (FORCE)')
        return ensure_seeded(size, env, tmp)
    seed_seconds = None
    if count < size:
        log(f"seeding {database}: {count} -> {size} articles")
        started = time.monotonic()
        # The site at this many articles; the demo business would add its own rows.
        manage(env, "seed_demo", "--articles", str(size), "--business", "none")
        seed_seconds = round(time.monotonic() - started, 1)
        server_sql("VACUUM ANALYZE", database)
    else:
        log(f"reusing {database} ({count} articles)")
        server_sql("ANALYZE", database)  # fresh planner statistics either way
    return {"database": database, "seed_seconds": seed_seconds, "reused": seed_seconds is None}


# --- Processes ----------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def wait_for_http(port: int, path: str = "/healthz", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            http_get(port, path)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}{path}")


def start_gunicorn(env: dict, tmp: Path) -> subprocess.Popen:
    logfile = open(tmp / "gunicorn.log", "ab")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "newsroom.wsgi:application",
            f"--workers={WORKERS}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{APP_PORT}",
            "--backlog=2048",
            "--timeout=60",
            *(["--preload"] if PRELOAD else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    started(process, APP_PORT, "/healthz", tmp / "gunicorn.log")
    return process


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start_nginx(tmp: Path, article_html: bytes) -> subprocess.Popen:
    prefix = tmp / "nginx"
    for sub in (
        "cache",
        "www/_static",
        "tmp/body",
        "tmp/proxy",
        "tmp/fastcgi",
        "tmp/uwsgi",
        "tmp/scgi",
    ):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    (prefix / "www/_static/article.html").write_bytes(article_html)
    as_root = os.geteuid() == 0
    if as_root:  # workers run as nobody: let them write the cache and read the file
        for path in [tmp, prefix, *prefix.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        for sub in ("cache", "tmp"):
            for path in [prefix / sub, *(prefix / sub).rglob("*")]:
                shutil.chown(path, "nobody")
    conf = Template((BENCH / "nginx.conf.in").read_text()).substitute(
        prefix=prefix,
        user_line="user nobody nogroup;" if as_root else "",
        nginx_port=NGINX_PORT,
        app_port=APP_PORT,
    )
    (prefix / "nginx.conf").write_text(conf)
    process = subprocess.Popen(
        [nginx_binary(), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=open(prefix / "stderr.log", "ab"),  # noqa: SIM115
    )
    started(process, NGINX_PORT, "/_static/article.html", prefix / "error.log")
    return process


def started(process: subprocess.Popen, port: int, path: str, logfile: Path) -> None:
    """Wait until the new server answers; if it never does, stop it and show its log."""
    try:
        wait_for_http(port, path)
    except RuntimeError:
        stop(process)
        tail = logfile.read_text(errors="replace")[-3000:] if logfile.exists() else ""
        raise RuntimeError(f"server on port {port} did not start:\n{tail}") from None


def stop(process: subprocess.Popen | None) -> None:
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- HTTP -----------------------------------------------------------------------------


def http_get(
    port: int, path: str, cookie: str | None = None, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=({"Cookie": cookie} if cookie else {}) | (headers or {}))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def flush_page_cache(size: int) -> int:
    """Forget the cached pages of this size (sessions stay, whatever engine keeps them).

    Everything goes, shared fragments and generations too, so the rows stay
    comparable with earlier runs. Forgetting only the pages, the API's kept
    answers and searches' kept rankings (fragments warm, as on a busy site)
    was tried on 2026-12-01 and put back: on that day's noisy VM its effect
    could not be told from run-to-run noise. With everything gone, a list of
    few pages (56-155 at 1,000 articles) also pays for rebuilding the shared
    fragments: 7.5-9.1 ms a page there, against 4.2-5.2 with them warm."""
    client = redis.Redis.from_url(REDIS_CACHE_URL)
    doomed = [
        key
        for key in client.scan_iter(match=f"{cache_prefix(size)}:*", count=1000)
        if b"session" not in key
    ]
    for start in range(0, len(doomed), 500):
        client.delete(*doomed[start : start + 500])
    return len(doomed)


# --- CPU and memory from /proc ------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else None


def memory_mib(pid: int) -> dict | None:
    """RSS, PSS and USS of a process (MiB) from /proc/<pid>/smaps_rollup.

    RSS counts every page the process maps, shared or not; PSS divides each
    shared page among the processes sharing it; USS is what only this process
    holds (what stopping it would free). Forked workers share the master's
    pages until they write to them, so with ``--preload`` their PSS is well
    below their RSS.
    """
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kib = {
        key: int(value) for key, value in re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.MULTILINE)
    }
    uss = kib.get("Private_Clean", 0) + kib.get("Private_Dirty", 0)
    return {
        "rss": round(kib.get("Rss", 0) / 1024, 1),
        "pss": round(kib.get("Pss", 0) / 1024, 1),
        "uss": round(uss / 1024, 1),
    }


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


class CpuSampler:
    """CPU seconds used by the server processes while a scenario runs.

    Polls /proc every quarter second: gunicorn (master and workers), nginx
    (master and workers) and the PostgreSQL backends connected to the bench
    database (from pg_stat_activity, queried over a connection to another
    database so the sampler's own backend is not counted). A backend that
    appears mid-run counts from zero; one that exits keeps its last sample.
    """

    def __init__(self, groups: dict[str, int], database: str):
        self.roots = groups  # group name -> master pid
        self.database = database
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._conn = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)
        self._sample(initial=True)
        self._machine_start = machine_jiffies()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _pids(self) -> dict[str, list[int]]:
        pids = {name: [root, *children_of(root)] for name, root in self.roots.items()}
        rows = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database]
        ).fetchall()
        pids["db"] = [row[0] for row in rows]
        return pids

    def _sample(self, initial: bool = False) -> None:
        for group, pids in self._pids().items():
            for pid in pids:
                value = cpu_seconds(pid)
                if value is None:
                    continue
                key = (group, pid)
                self.first.setdefault(key, value if initial else 0.0)
                self.last[key] = value

    def _loop(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._conn.close()
        totals: dict[str, float] = {}
        for (group, pid), value in self.last.items():
            totals[group] = totals.get(group, 0.0) + value - self.first[(group, pid)]
        busy, total = (b - a for a, b in zip(self._machine_start, machine_jiffies(), strict=True))
        # CPU the rest of the machine used meanwhile (wrk, Redis, anything else
        # running here): a noisy neighbour shows up as a high share.
        self.others_share = max(0.0, busy / CLK_TCK - sum(totals.values())) / max(
            total / CLK_TCK, 1e-9
        )
        return totals


# --- wrk -------------------------------------------------------------------------------------


def wrk(port: int, path: str, seconds: float, cookie: str | None, paths_file: Path | None) -> dict:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{max(1, int(seconds))}s",
        "--timeout=10s",
        "--latency",
        "-s",
        str(BENCH / "wrk.lua"),
        f"http://127.0.0.1:{port}{path}",
    ]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    if paths_file:
        command += ["--", str(paths_file), str(THREADS)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


# --- One scenario ------------------------------------------------------------------------------


def scenario_target(scenario: Scenario, prepared: dict) -> tuple[int, str, str | None]:
    port = NGINX_PORT if scenario.via == "nginx" else APP_PORT
    if scenario.url_key == "static":
        path = "/_static/article.html"
    elif scenario.url_key.startswith("rotation"):
        path = Path(rotation_of(scenario, prepared)["file"]).read_text().split("\n", 1)[0]
    else:
        path = prepared["urls"][scenario.url_key]
    cookie = None
    if scenario.who:
        cookie = f"{prepared['cookie_name']}={prepared['sessions'][scenario.who]}"
    return port, path, cookie


def rotation_of(scenario: Scenario, prepared: dict) -> dict:
    """The distinct-URL list a rotating scenario walks: articles, or a list kind's pages."""
    if scenario.url_key == "rotation":
        return prepared["rotation"]
    return prepared["list_rotations"][scenario.url_key.split(":", 1)[1]]


def offered_rate(rows: list[dict]) -> float:
    """What a paced scenario offers: ``BENCH_PACED_RATE``, else the search
    target's rate divided by the machine factor of the floor in ``rows`` (the
    same load for the machine as 200 req/s on the reference machine)."""
    if PACED_RATE:
        return float(PACED_RATE)
    factor = report.machine_factor({"sizes": {"this": {"scenarios": rows}}})
    return report.SEARCH_RPS / factor


def run_scenario(
    scenario: Scenario, prepared: dict, size: int, groups: dict, rate: float | None = None
) -> dict:
    """Load one scenario: wrk, or ``rate`` requests a second offered (a paced one)."""
    port, path, cookie = scenario_target(scenario, prepared)
    row = {"name": scenario.name, "label": scenario.label, "url": path, "via": scenario.via}
    status, headers, _ = http_get(port, path, cookie)
    if status == 404:
        return {**row, "skipped": "not available (404)"}
    if status != 200:
        return {**row, "skipped": f"answers {status}, not 200"}
    if scenario.via == "nginx":
        http_get(port, path, cookie)
        row["nginx_cache"] = http_get(port, path, cookie)[1].get("x-cache-status", "-")
    row["cache_control"] = headers.get("cache-control", "")
    if scenario.name.startswith("api_") and headers.get("etag"):
        row["etag_304"] = http_get(port, path, cookie, {"If-None-Match": headers["etag"]})[0]
    row["vary"] = headers.get("vary", "")
    rotating = scenario.url_key.startswith("rotation")
    paths_file = Path(rotation_of(scenario, prepared)["file"]) if rotating else None
    prime = None
    if scenario.prime:
        prime = Path(prepared["list_rotations"][scenario.prime]["file"]).read_text().split()
    if paths_file:
        # The warm-up's rate sets how long the load lasts: measure it on
        # misses, not on what an earlier run left in the cache.
        flush_page_cache(size)
        read_all(port, prime)
    warm = load(port, path, WARMUP, cookie, paths_file, rate)
    if paths_file:
        distinct = rotation_of(scenario, prepared)["count"]
        row["distinct_urls"] = distinct
        result, cpu, others = load_without_repeats(
            port, path, paths_file, distinct, warm["rps"], size, groups, prime, rate
        )
        if result.get("walked_once"):
            row["walked_once"] = True
    else:
        sampler = CpuSampler(groups, DATABASES[size])
        result = load(port, path, DURATION, cookie, None, rate)
        cpu, others = sampler.stop(), sampler.others_share
    if rate:
        row["offered_rps"] = round(rate, 1)
        row["lag_p99_ms"] = round(result["lag_p99_us"] / 1000, 2)
    requests = max(result["requests"], 1)
    row.update(
        requests=result["requests"],
        seconds=round(result["duration_us"] / 1e6, 2),
        rps=round(result["rps"], 1),
        p50_ms=round(result["p50_us"] / 1000, 2),
        p99_ms=round(result["p99_us"] / 1000, 2),
        errors=result["errors"],
        cpu_ms_per_request={k: round(v * 1000 / requests, 3) for k, v in cpu.items()},
        cpu_ms_per_request_total=round(sum(cpu.values()) * 1000 / requests, 3),
        others_cpu_share=round(others, 2),
    )
    if paths_file:
        row["repeated_urls"] = max(0, result["requests"] - row["distinct_urls"])
    row["queries"] = query_counts(scenario, prepared)
    return row


def load(port, path, seconds, cookie, paths_file, rate=None) -> dict:
    """One load: wrk's closed loop, or ``rate`` requests a second offered on a
    schedule (``paced``: the rotation's paths in order, or ``path`` again and again)."""
    if rate is None:
        return wrk(port, path, seconds, cookie, paths_file)
    if cookie:
        raise ValueError("a paced scenario reads as an anonymous reader")
    paths = paths_file.read_text().split() if paths_file else [path] * int(rate * seconds + 1)
    result = paced.paced_load(port, paths, rate, seconds)
    # Requests whose reader gave up (the client's 10 s) may still wait in
    # gunicorn's backlog: what follows starts once they are served.
    wait_for_http(port, "/healthz", timeout=300)
    return result


def read_all(port: int, paths: list[str] | None) -> None:
    """Ask for each of ``paths`` once, four at a time (a scenario's ``prime``)."""
    if paths:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda path: http_get(port, path), paths))


def load_without_repeats(
    port, path, paths_file, distinct, rps, size, groups, prime=None, rate=None
):
    """Load the rotating URLs for as long as none repeats: flush the page cache
    (and read ``prime``'s paths), run for the time the URL list lasts at the
    expected rate, and run again, shorter, if requests outran the list (the
    rate varies on a busy machine). A paced load (``rate``) sends each path at
    most once by itself: it runs until 95% of the list is due.

    A list that lasts less than wrk's shortest run (one second) is walked once
    by ``paced.closed_loop`` instead: as many connections as wrk's, each asking
    for the next path when its last is answered. wrk went round such a list
    again (a small site's 56 section pages at 1,500 hits a second: the row was
    cache hits), and a wrk connection left with nothing to ask holds a sync
    worker waiting for a request that never comes. Returns the load's result
    (``walked_once`` set when the closed loop ran), the CPU and the rest of
    the machine's share."""
    seconds = DURATION
    for _ in range(3):
        if rate:
            seconds = max(1.0, min(seconds, 0.95 * distinct / rate))
            walk_once = False
        else:
            lasts = min(seconds, 0.7 * distinct / max(rps, 1))
            walk_once = lasts < 1  # shorter than wrk's shortest run
            seconds = max(1, int(lasts))
        flush_page_cache(size)
        read_all(port, prime)
        sampler = CpuSampler(groups, DATABASES[size])
        if walk_once:
            paths = paths_file.read_text().split()
            result = {**paced.closed_loop(port, paths, CONNECTIONS, DURATION), "walked_once": True}
        else:
            result = load(port, path, seconds, None, paths_file, rate)
        cpu = sampler.stop()
        if result["requests"] <= distinct or seconds == 1:
            break
        rps = result["rps"]
    return result, cpu, sampler.others_share


def query_counts(scenario: Scenario, prepared: dict) -> dict | None:
    """SQL per request as the probe counted it in-process (nginx hits run none)."""
    if scenario.url_key == "static":
        return {"cold": 0, "warm": 0}
    if scenario.url_key.startswith("rotation:"):
        return None
    key = "article_uncached" if scenario.url_key == "rotation" else scenario.url_key
    entry = prepared["queries"].get(key)
    if not entry:
        return None
    return {phase: entry[phase]["queries"] for phase in ("cold", "warm") if phase in entry}


# --- The paywall behind the CDN stand-in ---------------------------------------------------------


# The demo rules' teaser: the first two paragraphs (``paywall.policy.TEASER_PARAGRAPHS``).
TEASER_PARAGRAPHS = 2
# What follows the body inside the article: source line, paywall gate, meter notice.
_AFTER_BODY = (b'class="source"', b"data-paywall", b'class="meter-notice"', b'class="follow-us"')


def article_body(html: bytes) -> bytes:
    """The article text of a page (``data-article-body`` up to whatever follows it),
    so the check looks at body paragraphs, not at the gate or the footer."""
    start = html.find(b"data-article-body")
    if start < 0:
        return html
    ends = [end for end in (html.find(marker, start) for marker in _AFTER_BODY) if end > 0]
    return html[start : min(ends, default=len(html))]


def leak_check(prepared: dict) -> dict:
    """Ask nginx for the premium article as the premium subscriber, then anonymously:
    the anonymous copies (and whatever nginx stored for them) must hold none of
    the paragraphs past the teaser.

    ``seed_demo`` gives every article its own paragraphs, so a hidden paragraph
    found anywhere on the anonymous page (a related block, a snippet, the body)
    is this article's text leaking, never another story that happens to share it.
    """
    path = prepared["urls"]["article_premium"]
    cookie = f"{prepared['cookie_name']}={prepared['sessions']['premium']}"
    _, _, entitled = http_get(NGINX_PORT, path, cookie)
    paragraphs = re.findall(rb"<p>(.*?)</p>", article_body(entitled), re.S)
    hidden = paragraphs[TEASER_PARAGRAPHS:]
    if not hidden:
        return {
            "checked": False,
            "reason": "the subscriber's article body has no paragraph past the teaser",
        }
    anonymous = [http_get(NGINX_PORT, path)[2] for _ in range(2)]
    leaked = [text for text in hidden if any(text in body for body in anonymous)]
    return {
        "checked": True,
        "url": path,
        "hidden_paragraphs": len(hidden),
        "leaked_paragraphs": len(leaked),
        "anonymous_response_has_entitled_text": bool(leaked),
        # The anonymous copies are this article's gated page: they carry its teaser.
        "anonymous_saw_teaser": all(paragraphs[1] in body for body in anonymous),
        "premium_page_was_full": len(paragraphs) > TEASER_PARAGRAPHS,
    }


def chosen_scenarios() -> list[Scenario]:
    wanted = {name for name in os.environ.get("BENCH_SCENARIOS", "").split(",") if name}
    if not wanted:
        return list(SCENARIOS)
    unknown = wanted - {scenario.name for scenario in SCENARIOS}
    if unknown:
        raise SystemExit(f"BENCH_SCENARIOS: no scenario {sorted(unknown)}")
    return [s for s in SCENARIOS if s.name in wanted or s.name == "wsgi_floor"]


# --- A whole size ------------------------------------------------------------------------------


def bench_size(size: int, tmp: Path, explain: bool) -> dict:
    env = app_env(DATABASES[size], size, tmp)
    seeded = ensure_seeded(size, env, tmp)
    log(f"probing {seeded['database']} (query counts{', EXPLAIN' if explain else ''})")
    prepared = probe(
        env, tmp, "prepare", "--paths", str(tmp / f"paths-{size}.txt"), *(["--explain"] * explain)
    )
    gunicorn = nginx = None
    try:
        gunicorn = start_gunicorn(env, tmp)
        status, _, article_html = http_get(APP_PORT, prepared["urls"]["article_anon"])
        if status != 200:
            raise RuntimeError(f"the anonymous article answers {status}")
        nginx = start_nginx(tmp, article_html)
        groups = {"web": gunicorn.pid, "nginx": nginx.pid}
        rows = []
        # The floor first: a paced scenario's rate is scaled by it.
        chosen = chosen_scenarios()
        for scenario in sorted(chosen, key=lambda s: s.name != "wsgi_floor"):
            log(f"{size:>7} articles: {scenario.label}")
            rate = offered_rate(rows) if scenario.paced else None
            rows.append(run_scenario(scenario, prepared, size, groups, rate))
        order = {scenario.name: number for number, scenario in enumerate(chosen)}
        rows.sort(key=lambda row: order[row["name"]])
        workers = children_of(gunicorn.pid)
        memory = {
            "preload": PRELOAD,
            "worker_rss_mib": [rss_mib(pid) for pid in workers],
            "workers": [memory_mib(pid) for pid in workers],
            "master": memory_mib(gunicorn.pid),
        }
        leak = leak_check(prepared)
    finally:
        stop(nginx)
        stop(gunicorn)
    return {
        "articles": prepared["articles"],
        **seeded,
        "urls": prepared["urls"],
        "scenarios": rows,
        "memory": memory,
        "leak_check": leak,
        "uncached_in_process": prepared.get("uncached_in_process"),
        "explain": prepared.get("explain"),
    }


# --- The machine ---------------------------------------------------------------------------------


def command_version(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return "not installed"
    return (done.stdout + done.stderr).strip().splitlines()[0]


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text()
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
    django_version = subprocess.run(
        [sys.executable, "-c", "import django; print(django.get_version())"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpu": model.group(1) if model else platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": command_version("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "python": platform.python_version(),
        "django": django_version,
        "gunicorn": command_version(str(VENV_BIN / "gunicorn"), "--version"),
        "postgresql": server_sql("SHOW server_version")[0][0],
        "redis": redis.Redis(host="127.0.0.1").info("server")["redis_version"],
        "nginx": command_version(nginx_binary(), "-v"),
        "wrk": command_version("wrk", "-v").split(" [")[0].replace("debian/", ""),
        "load": {"threads": THREADS, "connections": CONNECTIONS, "seconds": DURATION},
        "workers": WORKERS,
        "preload": PRELOAD,
        # A search's candidates, when the run sets them (``SEARCH_CANDIDATES``;
        # the app's default otherwise): they change what a search costs.
        "search_candidates": os.environ.get("SEARCH_CANDIDATES"),
    }


def main() -> None:
    global DURATION
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_SIZES", "1000,100000"),
        help="article counts to bench, comma-separated: 1000, 100000 or both (default)",
    )
    parser.add_argument(
        "--duration", type=float, default=DURATION, help="seconds of load per scenario"
    )
    args = parser.parse_args()
    DURATION = args.duration
    started = time.monotonic()
    subprocess.run([str(BENCH / "services.sh")], check=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    unknown = set(sizes) - DATABASES.keys()
    if unknown:
        raise SystemExit(f"BENCH_SIZES may name {sorted(DATABASES)} only, not {sorted(unknown)}")
    env = app_env(DATABASES[sizes[0]], sizes[0], Path())
    log("collectstatic")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    tmp = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    try:
        results = {
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "sizes": {
                str(size): bench_size(size, tmp, explain=size == max(sizes)) for size in sizes
            },
        }
        results["instructions"] = count_instructions(max(sizes), tmp)
    finally:
        if os.environ.get("BENCH_KEEP_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
    results["elapsed_seconds"] = round(time.monotonic() - started, 1)
    results["targets"] = report.check_targets(results)
    write_results(results)


def count_instructions(size: int, tmp: Path) -> dict:
    """Web instructions per request (``bench/instructions.py``, valgrind) at
    ``size``, or ``{"skipped": why}``. Full runs count them; a partial run
    (``BENCH_SCENARIOS``) only with ``BENCH_INSTRUCTIONS=1``."""
    default = "0" if os.environ.get("BENCH_SCENARIOS") else "1"
    if os.environ.get("BENCH_INSTRUCTIONS", default) != "1":
        return {"skipped": "not counted (BENCH_INSTRUCTIONS=0, or a partial run without =1)"}
    if shutil.which("valgrind") is None or not Path("/usr/include/valgrind/callgrind.h").exists():
        return {"skipped": "valgrind or its callgrind.h is not on this machine"}
    log(f"web instructions per request at {size:,} articles (valgrind, about 2 minutes)")
    out = tmp / "instructions.json"
    command = [sys.executable, str(BENCH / "instructions.py"), "--out", str(out)]
    done = subprocess.run(
        command, env=app_env(DATABASES[size], size, tmp), capture_output=True, text=True
    )
    if done.returncode != 0 or not out.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skipped": f"bench/instructions.py failed: {last}"}
    return {**json.loads(out.read_text()), "size": str(size)}


def write_results(results: dict) -> None:
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    partial = bool(os.environ.get("BENCH_SCENARIOS"))
    if partial:
        stamp += "-partial"
    markdown = report.render(results)
    (RESULTS / f"{stamp}.json").write_text(json.dumps(results, indent=1))
    (RESULTS / f"{stamp}.md").write_text(markdown)
    if not partial:
        (RESULTS / "latest.md").write_text(markdown)
    log(f"wrote bench/results/{stamp}.md and .json ({results['elapsed_seconds']} s)")
    print(report.summary_table(results))


if __name__ == "__main__":
    main()
