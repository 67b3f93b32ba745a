"""Instructions per request, counted by valgrind: a page's web CPU as a number
that does not move with the machine.

``make bench`` measures milliseconds, and milliseconds move with the VM: the
same code's uncached article cost 3.6 ms one hour and 6.2 ms the next, and
the bench machine's floor has differed threefold between sessions (README,
"Benchmark"). A change worth 2-10% cannot be seen through that. Callgrind
counts the instructions the web process runs instead: the same code, data and
inputs give the same count within a fraction of a percent, on a busy machine
or an idle one, on a fast VM or a slow one. It counts only this process, so
the database's side of a request is not in it (``profile_render.py`` and
``make bench`` read that), and an instruction is not a fixed time (a cache
miss costs more than an add): it compares code with code, not with a target
in milliseconds.

Each page is asked for the way ``profile_render.py`` and ``profile_api.py``
ask (each request a page miss unless its name says otherwise), with the same
warm-up, but as gunicorn asks: a WSGI call of Django's application with a
WSGI environ (``WsgiClient``), not ``django.test.Client``, whose own work per
request (signals connected and disconnected, cookies, a copy of the
response) would be counted with the page's. Only the requests themselves are
counted, not the purges between them. The counts are per request, the mean
over ``--n`` requests.

Usage (PostgreSQL and Redis, a database seeded with ``seed_demo``, the
bench's production settings as for ``profile_render.py``)::

    .venv/bin/python bench/instructions.py [--n 20] [--pages article,search]
        [--against bench/results/instructions-<stamp>.json]

It writes ``bench/results/instructions-<stamp>.json`` and prints a table;
``--against`` adds the change from an earlier run (another commit's, say: run
this script in a worktree of that commit, ``README``). Needs valgrind, its
``callgrind.h`` and a C compiler (this machine kind has all three); it runs
the pages under valgrind, about fifty times slower than natively: 2-4
minutes at the default ``--n``.
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HEADER = Path("/usr/include/valgrind/callgrind.h")

# The marks the counted process sets (valgrind's client requests, which are
# machine code, not calls: a few lines of C, compiled on first use).
MARKS_C = """
#include <valgrind/callgrind.h>
int marks_running(void) { return RUNNING_ON_VALGRIND; }
void marks_instrument(int on) {
    if (on) { CALLGRIND_START_INSTRUMENTATION; } else { CALLGRIND_STOP_INSTRUMENTATION; }
}
void marks_zero(void) { CALLGRIND_ZERO_STATS; }
void marks_toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void marks_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""

# The pages counted, in order (names as the two profile scripts give them, or
# this script's own: the hit and the API's).
PAGES = {
    "floor": "floor: a static file (WhiteNoise)",
    "article": "article (rotating, lists warm)",
    "article-hit": "article, cache hit",
    "section": "section (rotating ?page=)",
    "home": "home (page miss, fragments warm)",
    "search": "search, a new query (page 1)",
    "search-next": "search, next page (page 1 read first)",
    "api-list": "list rotating",
    "api-list-hit": "list",
    "api-detail": "detail rotating",
    "api-search": "search rotating",
}
DEFAULT_PAGES = tuple(PAGES)


# --- The parent: compile the marks, run the child under valgrind, read its dumps ------


def build_marks(directory: Path) -> Path:
    """The marks as a shared library (compiled once per source; ``SystemExit``
    with what is missing where valgrind's header or a compiler is not here)."""
    if not HEADER.exists():
        raise SystemExit(f"instructions: {HEADER} not found (Debian: apt-get install valgrind)")
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SystemExit("instructions: no C compiler (cc or gcc) to build the marks")
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "callgrind_marks.c"
    library = directory / "callgrind_marks.so"
    if not library.exists() or not source.exists() or source.read_text() != MARKS_C:
        source.write_text(MARKS_C)
        subprocess.run(
            [compiler, "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True
        )
    return library


def read_dump(text: str) -> tuple[str, int] | None:
    """``(name, instructions)`` of one callgrind dump made by ``marks_dump``
    (its trigger names the page), or None for another dump (the program's end)."""
    trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.M)
    totals = re.search(r"^totals: (\d+)", text, re.M) or re.search(r"^summary: (\d+)", text, re.M)
    if trigger is None or totals is None:
        return None
    return trigger.group(1).strip(), int(totals.group(1))


def read_dumps(directory: Path, requests: dict[str, int]) -> dict[str, float]:
    """Instructions per request of each page dumped in ``directory``."""
    counts = {}
    for path in sorted(directory.glob("callgrind.out*")):
        found = read_dump(path.read_text(errors="replace"))
        if found is not None and found[0] in requests:
            counts[found[0]] = found[1] / requests[found[0]]
    return counts


def change(now: float, before: float | None) -> str:
    if not before:
        return "-"
    return f"{(now - before) / before * 100:+.1f}%"


def table(result: dict, against: dict | None) -> str:
    pages = result["pages"]
    earlier = (against or {}).get("pages", {})
    lines = [
        f"Instructions per request in the web process (callgrind; n={result['n']} each, "
        f"commit {result['commit']}, {result['articles']:,} articles)",
        "",
        "| page | requests | M instructions | against |",
        "|---|---:|---:|---:|",
    ]
    for name, page in pages.items():
        before = earlier.get(name, {}).get("instructions")
        lines.append(
            f"| {PAGES.get(name, name)} | {page['requests']} | "
            f"{page['instructions'] / 1e6:.2f} | {change(page['instructions'], before)} |"
        )
    hit, miss, floor = pages.get("article-hit"), pages.get("article"), pages.get("floor")
    if hit and miss:
        ratio = miss["instructions"] / hit["instructions"]
        lines += ["", f"An uncached article runs {ratio:.1f} times a cache hit's instructions."]
    if hit and floor:
        above = (hit["instructions"] - floor["instructions"]) / 1e6
        lines.append(f"A cache hit runs {above:.2f} M more than the floor (a static file).")
    if against:
        lines += ["", f"Against: commit {against.get('commit', '?')} ({against.get('when', '?')})."]
    return "\n".join(lines)


def git_commit() -> str:
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        # Changes to the bench's own scripts (this one, copied into an older
        # worktree), the tests and the documents are not changes to the code counted.
        ["git", "status", "--porcelain", "--untracked-files=no", "--", "."]
        + [":!bench", ":!tests", ":!docs", ":!*.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (found.stdout.strip() or "unknown") + ("+changes" if dirty else "")


def run_parent(args) -> None:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("instructions: valgrind not found (Debian: apt-get install valgrind)")
    wanted = [name for name in args.pages.split(",") if name]
    unknown = sorted(set(wanted) - set(PAGES))
    if unknown:
        raise SystemExit(f"instructions: no page {unknown}; pages: {', '.join(PAGES)}")
    marks = build_marks(ROOT / "var" / "bench")
    with tempfile.TemporaryDirectory(prefix="instructions-") as tmp:
        out = Path(tmp)
        env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict orders every run
        command = [
            valgrind, "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
            f"--callgrind-out-file={out}/callgrind.out.%p", sys.executable, str(Path(__file__)),
            "--child", "--n", str(args.n), "--pages", ",".join(wanted), "--marks", str(marks),
            "--facts", str(out / "facts.json"),
        ]  # fmt: skip
        subprocess.run(command, check=True, env=env, stderr=subprocess.DEVNULL)
        facts = json.loads((out / "facts.json").read_text())
        counts = read_dumps(out, facts["requests"])
    missing = [name for name in wanted if name not in counts]
    if missing:
        raise SystemExit(f"instructions: no count for {missing} (valgrind's dumps not found)")
    result = {
        "commit": git_commit(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "n": args.n,
        "articles": facts["articles"],
        "python": sys.version.split()[0],
        "pages": {
            name: {"requests": facts["requests"][name], "instructions": round(counts[name])}
            for name in wanted
        },
    }
    against = json.loads(Path(args.against).read_text()) if args.against else None
    if args.out:  # ``bench/run.py`` keeps it with its own results
        saved = Path(args.out)
    else:
        RESULTS.mkdir(parents=True, exist_ok=True)
        saved = RESULTS / f"instructions-{time.strftime('%Y%m%d-%H%M%S')}.json"
    saved.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result, against))
    print(f"\nSaved: {saved}")


# --- The child: the pages, counted between marks ------------------------------------


class WsgiClient:
    """``client.get(path, HTTP_HOST=...)`` as gunicorn serves it: a WSGI
    environ, Django's WSGI application called with it, the body read and
    closed (which sends ``request_finished``)."""

    def __init__(self):
        from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

        self.application = get_wsgi_application()

    def get(self, path: str, HTTP_HOST: str = "127.0.0.1"):  # noqa: N803 - Client's keyword
        from io import BytesIO  # noqa: PLC0415
        from types import SimpleNamespace  # noqa: PLC0415

        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": HTTP_HOST,
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": HTTP_HOST,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        answer = SimpleNamespace(status_code=0, headers={})

        def start_response(status, headers, exc_info=None):
            answer.status_code = int(status.split()[0])
            answer.headers = dict(headers)

        body = self.application(environ, start_response)
        try:
            b"".join(body)
        finally:
            body.close()
        return answer


def run_child(args) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    import profile_api  # noqa: PLC0415 - sets Django up (DJANGO_SETTINGS_MODULE)
    import profile_render  # noqa: PLC0415
    from django.core.cache import cache  # noqa: PLC0415

    from articles.models import Article  # noqa: PLC0415

    marks = ctypes.CDLL(args.marks)
    marks.marks_dump.argtypes = [ctypes.c_char_p]
    if not marks.marks_running():
        raise SystemExit("instructions: the child runs under valgrind only (run without --child)")
    wanted = [name for name in args.pages.split(",") if name]
    cache.clear()
    client = WsgiClient()
    profile_render.warm(client)
    n = args.n
    requests: dict[str, int] = {}
    for name in wanted:
        paths, before, hit = scenario(name, n, profile_render, profile_api)
        for path in paths[:5]:  # warm-up, not counted
            ask(client, path, before, hit=hit, counted=None)
        marks.marks_instrument(1)
        marks.marks_zero()
        for path in paths[5 : 5 + n]:
            ask(client, path, before, hit=hit, counted=marks)
        marks.marks_dump(name.encode())
        marks.marks_instrument(0)
        requests[name] = len(paths[5 : 5 + n])
    facts = {"requests": requests, "articles": Article.objects.count()}
    Path(args.facts).write_text(json.dumps(facts))


def scenario(name: str, n: int, profile_render, profile_api):
    """``(paths, what to do before each request, whether each is a cache hit)``
    (``None`` for the page cache's header where the answer is not a page)."""
    if name == "floor":  # the bench's ``wsgi_floor``: served before any view runs
        from django.contrib.staticfiles.storage import staticfiles_storage  # noqa: PLC0415

        return [staticfiles_storage.url("admin/css/base.css")] * (n + 5), None, None
    if name == "article-hit":  # the bench's ``article_anon``: the newest free article
        from articles.models import Article  # noqa: PLC0415

        free = Article.objects.published().filter(access_level="free")
        path = free.order_by("-published_at", "-pk").first().get_absolute_url()
        return [path] * (n + 5), None, True
    if name.startswith("api-"):
        paths, before, *warm = profile_api.scenarios(n + 5)[PAGES[name]]
        return [*(warm[0][:5] if warm else []), *paths][: n + 5], before, None
    found = next(s for s in profile_render.scenarios(n) if s[0] == PAGES[name])
    return found[1], found[2], False


def ask(client, path: str, before, *, hit, counted) -> None:
    """One request; with ``counted`` (the marks), only the request is counted."""
    if before:
        before()
    if counted:
        counted.marks_toggle()
    response = client.get(path, HTTP_HOST="127.0.0.1")
    if counted:
        counted.marks_toggle()
    assert response.status_code == 200, (path, response.status_code)
    if hit is not None:
        assert response.headers["X-Page-Cache"] == ("hit" if hit else "miss"), (path, hit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="requests counted per page")
    parser.add_argument("--pages", default=",".join(DEFAULT_PAGES), help="comma-separated")
    parser.add_argument("--against", help="an earlier run's JSON, to compare with")
    parser.add_argument("--out", help="write the JSON here (default: bench/results/)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--marks", help=argparse.SUPPRESS)
    parser.add_argument("--facts", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
    else:
        run_parent(args)


if __name__ == "__main__":
    main()
