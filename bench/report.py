"""Turn a benchmark run into the targets verdict and the Markdown report.

The targets are issue 15's (`issues show 15`), with issue 9's that still hold
(query budget, nginx versus a static file, the leak check, p50 growth),
measured side by side in one run; CPU limits are scaled to this machine by
its floor scenario (``machine_factor``); web instructions per request
(``bench/instructions.py``) are judged against a reference commit's counts.
"""

import json
import re
from pathlib import Path

SMALL, BIG = "1000", "100000"

QUERY_BUDGET = 8
UNCACHED_CPU_MS = 6.0
CACHED_CPU_MS = 1.5
CACHED_SPEEDUP = 10.0
CDN_SHARE_OF_STATIC = 0.5
GROWTH_P50 = 1.3
SUBSCRIBER_P50 = 2.0
WORKER_RSS_MIB = 100.0
CACHE_HIT_SCENARIOS = ("article_anon", "article_metered", "article_premium")
GROWTH_SCENARIOS = ("article_anon", "article_uncached", "home", "section", "api_list")


def _rows(results: dict, size: str) -> dict[str, dict]:
    sized = results["sizes"].get(size)
    return {row["name"]: row for row in sized["scenarios"]} if sized else {}


def _measured(row: dict | None) -> bool:
    return bool(row) and "skipped" not in row


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


# A measurement this close to its limit (either side) flips between runs of
# one machine (four full runs within an hour on one VM, 2026-12-01: the API
# list miss 4.55-4.93 ms against 4.8, the search's next pages' p50 22.2-25.1
# ms against 23.8-24.4): the verdict says so.
NEAR_LIMIT = 0.05


def _near(value: float, limit: float) -> str:
    """A note for a verdict within ``NEAR_LIMIT`` of its limit, else ""."""
    if limit and abs(value / limit - 1.0) <= NEAR_LIMIT:
        return f"within {NEAR_LIMIT:.0%} of the limit: runs of one machine can flip it"
    return ""


def _why(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _target(name: str, size: str, value, limit: str, ok: bool | None, why: str = "") -> dict:
    return {
        "target": name,
        "size": size,
        "value": value,
        "limit": limit,
        "status": _verdict(ok),
        "why": why,
    }


# Issue 15's limits, in CPU ms per request on the reference machine (the
# 2026-11-26 run, where a static file through gunicorn cost FLOOR_REFERENCE_MS).
# Another machine's limits are scaled by its own floor (``machine_factor``):
# the same code costs about that many times more there.
FLOOR_REFERENCE_MS = 0.35
UNCACHED_PAGE_MS = 8.0
API_LIST_MS = 4.0
API_DETAIL_MS = 3.0
SEARCH_RPS = 200.0
SEARCH_P50_MS = 20.0
# Cache hits of the reference run (1k, 100k), ms of CPU: none may grow by more than 10%.
CACHE_HIT_REFERENCE = {
    "article_anon": (0.97, 0.86),
    "article_metered": (1.17, 1.21),
    "article_premium": (1.25, 1.23),
}
CACHE_HIT_SLACK = 1.10
# Web instructions per request of the reference commit (``bench/instructions.py``
# at the biggest size, ``bench/instructions-reference.json``, 190bb5e's run): none may grow by
# more than 5%. A count, not a time: the same on any machine within about 1%,
# so it is not scaled by the machine factor. A change that makes pages cheaper
# writes a new reference (copy its run's JSON over the file).
INSTRUCTIONS_REFERENCE = Path(__file__).with_name("instructions-reference.json")
INSTRUCTIONS_SLACK = 1.05
UNCACHED_LISTS = ("section_uncached", "topic_uncached", "author_uncached")
# Issue 15's search target (req/s and p50 under wrk; p50 at the rate offered for
# the ``_paced`` rows), at 100,000 articles: site search and API search.
SEARCHES = (
    "search",
    "search_uncached",
    "search_uncached_paced",
    "search_pages",
    "api_search",
    "api_search_uncached",
    "api_search_uncached_paced",
)


def floor_ratio(results: dict) -> float | None:
    """How many times the reference's CPU this machine's floor scenario cost
    (below 1 on a faster machine), or None when the floor was not measured."""
    floors = [
        row["cpu_ms_per_request_total"]
        for size in results["sizes"]
        for row in results["sizes"][size]["scenarios"]
        if row["name"] == "wsgi_floor" and _measured(row)
    ]
    return round(min(floors) / FLOOR_REFERENCE_MS, 2) if floors else None


def machine_factor(results: dict) -> float:
    """What the limits are scaled by: how many times slower this machine ran
    the floor scenario than the reference. Never below 1: on a faster machine
    the limits are the targets as the issue states them."""
    ratio = floor_ratio(results)
    return max(1.0, ratio) if ratio is not None else 1.0


def factor_line(results: dict) -> str:
    """The targets' preamble: what the floor cost here and what the limits are."""
    factor = results.get("machine_factor", 1.0)
    ratio = floor_ratio(results)
    reference = f"the reference run's {FLOOR_REFERENCE_MS} ms"
    if ratio is None:
        return (
            f"Machine factor {factor}: the floor scenario was not measured, "
            "so the limits are as stated."
        )
    if ratio < 1.0:
        return (
            f"Machine factor {factor}: the floor scenario cost {ratio} times {reference} here "
            "(a faster machine). Limits are never tightened, so they are the targets as "
            f"stated: about {1 - ratio:.0%} looser here than on the reference machine. "
            "Compare this machine's runs with each other."
        )
    return (
        f"Machine factor {factor}: the floor scenario cost {factor} times {reference} here, "
        "so CPU limits are scaled by it (req/s divided)."
    )


def _scaled(limit: float, factor: float) -> str:
    return f"≤ {limit:g}" if factor == 1.0 else f"≤ {limit:g} ×{factor} = {limit * factor:.1f}"


def check_targets(results: dict) -> list[dict]:
    factor = results.setdefault("machine_factor", machine_factor(results))
    checks = []
    # wrk's connections, for what the closed loop alone makes of a p50.
    connections = (results.get("machine") or {}).get("load", {}).get("connections")
    for size in results["sizes"]:
        rows = _rows(results, size)
        checks += _size_targets(size, rows, results["sizes"][size], factor, connections)
    small, big = _rows(results, SMALL), _rows(results, BIG)
    for name in GROWTH_SCENARIOS:
        a, b = small.get(name), big.get(name)
        if _measured(a) and _measured(b):
            ratio = round(b["p50_ms"] / a["p50_ms"], 2)
            checks.append(
                _target(
                    f"p50 growth 1k→100k: {name}",
                    "both",
                    f"{ratio}x",
                    f"≤ {GROWTH_P50}x",
                    ratio <= GROWTH_P50,
                    _near(ratio, GROWTH_P50),
                )
            )
        else:
            checks.append(
                _target(
                    f"p50 growth 1k→100k: {name}",
                    "both",
                    "-",
                    f"≤ {GROWTH_P50}x",
                    None,
                    "not measured at both sizes",
                )
            )
    return checks + instruction_targets(results)


def instruction_targets(results: dict, reference: dict | None = None) -> list[dict]:
    """Each counted page's web instructions against the reference commit's
    (``INSTRUCTIONS_REFERENCE`` unless ``reference`` is given), or one n/a row
    saying why nothing was counted."""
    name = f"web instructions within {INSTRUCTIONS_SLACK - 1:.0%} of the reference"
    counted = results.get("instructions") or {}
    if "pages" not in counted:
        why = counted.get("skipped", "not counted")
        return [_target(name, "-", "-", f"≤ +{INSTRUCTIONS_SLACK - 1:.0%}", None, why)]
    if reference is None and INSTRUCTIONS_REFERENCE.exists():
        reference = json.loads(INSTRUCTIONS_REFERENCE.read_text())
    earlier = (reference or {}).get("pages", {})
    size = counted.get("size", "-")
    checks = []
    for page, count in counted["pages"].items():
        value = round(count["instructions"] / 1e6, 2)
        before = earlier.get(page, {}).get("instructions")
        if not before:
            checks.append(
                _target(f"{name}: {page} (M)", size, value, "-", None, "not in the reference")
            )
            continue
        limit = before * INSTRUCTIONS_SLACK
        change = (count["instructions"] - before) / before
        checks.append(
            _target(
                f"{name}: {page} (M)",
                size,
                value,
                f"≤ {before / 1e6:.2f} ×{INSTRUCTIONS_SLACK} = {limit / 1e6:.2f}",
                count["instructions"] <= limit,
                f"{change:+.1%} against {reference.get('commit', '?')}",
            )
        )
    return checks


def _speedup_in_cpu(hit: dict, miss: dict, floor: dict | None) -> str:
    """The same comparison in CPU per request, and above the floor (a static
    file through the same gunicorn, which a hit and a miss both pay): how
    much of the gap is the server's own per-request work, not the page."""
    hit_cpu, miss_cpu = hit["cpu_ms_per_request_total"], miss["cpu_ms_per_request_total"]
    if not hit_cpu:
        return ""
    said = f"CPU {miss_cpu / hit_cpu:.1f}x ({miss_cpu:.2f} against {hit_cpu:.2f} ms)"
    if _measured(floor) and hit_cpu > (base := floor["cpu_ms_per_request_total"]):
        above = (miss_cpu - base) / (hit_cpu - base)
        said += f"; above the floor's {base:.2f} ms: {above:.1f}x"
    return said


def _paced_target(size: str, row: dict, factor: float) -> dict:
    """The p50 at the offered rate (``bench/paced.py``; 200 req/s scaled by the
    machine): the search target's median at the target's rate, every request
    answered."""
    failed = sum((row.get("errors") or {}).values())
    return _target(
        f"{row['name'].removesuffix('_paced')} at the target's rate: p50 ms",
        size,
        row["p50_ms"],
        _scaled(SEARCH_P50_MS, factor),
        row["p50_ms"] <= SEARCH_P50_MS * factor and not failed,
        _why(
            f"{row['offered_rps']:g} req/s offered, {row['rps']:.0f} answered, {failed} failed; "
            f"p99 {row['p99_ms']} ms",
            _near(row["p50_ms"], SEARCH_P50_MS * factor),
        ),
    )


def _cpu_target(checks, label, size, row, limit, factor, why=""):
    if _measured(row):
        cpu = row["cpu_ms_per_request_total"]
        ok = cpu <= limit * factor
        why = _why(why, _near(cpu, limit * factor))
        checks.append(_target(label, size, cpu, _scaled(limit, factor), ok, why))


def _closed_loop(row: dict, connections: int | None, limit: float) -> str:
    """What wrk's closed loop alone makes of a latency: its ``connections``
    each wait for an answer before sending again, so the mean latency is
    connections ÷ req/s whatever a request costs (Little's law), and a p50
    of ``limit`` asks for about connections ÷ ``limit`` req/s."""
    if not connections or not row.get("rps"):
        return ""
    mean = connections / row["rps"] * 1000
    needed = connections / limit * 1000
    return (
        f"closed loop of {connections} connections: mean latency = {connections} ÷ "
        f"{row['rps']:.0f} req/s = {mean:.1f} ms; a p50 of {limit:g} ms needs about "
        f"{needed:.0f} req/s (the paced row measures latency at the target's rate)"
    )


def _size_targets(
    size: str, rows: dict, sized: dict, factor: float = 1.0, connections: int | None = None
) -> list[dict]:
    checks = []
    uncached = rows.get("article_uncached")
    if _measured(uncached):
        queries = (uncached.get("queries") or {}).get("cold")
        checks.append(
            _target(
                "uncached article: SQL queries",
                size,
                queries,
                f"≤ {QUERY_BUDGET}",
                queries is not None and queries <= QUERY_BUDGET,
            )
        )
    _cpu_target(
        checks, "uncached article: CPU ms/request", size, uncached, UNCACHED_PAGE_MS, factor
    )
    for name in UNCACHED_LISTS:
        _cpu_target(
            checks, f"{name}: CPU ms/request", size, rows.get(name), UNCACHED_PAGE_MS, factor
        )
    for name, measured in (sized.get("uncached_in_process") or {}).items():
        total = measured["total_ms"]
        checks.append(
            _target(
                f"{name} after a purge (in-process): CPU ms/request",
                size,
                total,
                _scaled(UNCACHED_PAGE_MS, factor),
                total <= UNCACHED_PAGE_MS * factor,
                _why(
                    f"web {measured['web_ms']} + db {measured['db_ms']}",
                    _near(total, UNCACHED_PAGE_MS * factor),
                ),
            )
        )
    _cpu_target(checks, "API list: CPU ms/request", size, rows.get("api_list"), API_LIST_MS, factor)
    _cpu_target(
        checks, "API detail: CPU ms/request", size, rows.get("api_detail"), API_DETAIL_MS, factor
    )
    # The same limits on a miss of the API's kept answers (rotating requests).
    _cpu_target(
        checks,
        "API list, uncached: CPU ms/request",
        size,
        rows.get("api_list_uncached"),
        API_LIST_MS,
        factor,
    )
    _cpu_target(
        checks,
        "API detail, uncached: CPU ms/request",
        size,
        rows.get("api_detail_uncached"),
        API_DETAIL_MS,
        factor,
    )
    for name in ("api_list", "api_detail"):
        row = rows.get(name)
        if _measured(row) and "etag_304" in row:
            checks.append(
                _target(
                    f"{name}: ETag and 304", size, row["etag_304"], "304", row["etag_304"] == 304
                )
            )
    if size == BIG:
        for name in SEARCHES:
            row = rows.get(name)
            if _measured(row) and row.get("offered_rps"):
                checks.append(_paced_target(size, row, factor))
            elif _measured(row):
                checks.append(
                    _target(
                        f"{name}: req/s",
                        size,
                        row["rps"],
                        f"≥ {SEARCH_RPS:g} ÷{factor} = {SEARCH_RPS / factor:.0f}",
                        row["rps"] >= SEARCH_RPS / factor,
                        _near(row["rps"], SEARCH_RPS / factor),
                    )
                )
                checks.append(
                    _target(
                        f"{name}: p50 ms",
                        size,
                        row["p50_ms"],
                        _scaled(SEARCH_P50_MS, factor),
                        row["p50_ms"] <= SEARCH_P50_MS * factor,
                        _why(
                            _closed_loop(row, connections, SEARCH_P50_MS * factor),
                            _near(row["p50_ms"], SEARCH_P50_MS * factor),
                        ),
                    )
                )
    index = 0 if size == SMALL else 1
    for name, reference in CACHE_HIT_REFERENCE.items():
        row = rows.get(name)
        if _measured(row):
            limit = reference[index] * CACHE_HIT_SLACK
            _cpu_target(
                checks,
                f"cache hit ({name}) within 10% of the reference",
                size,
                row,
                limit,
                factor,
                f"reference {reference[index]} ms",
            )
    anon, premium = rows.get("article_anon"), rows.get("article_premium")
    if _measured(anon) and _measured(uncached):
        speedup = round(anon["rps"] / uncached["rps"], 2)
        checks.append(
            _target(
                "cache hit vs uncached article: req/s",
                size,
                f"{speedup}x",
                f"≥ {CACHED_SPEEDUP}x",
                speedup >= CACHED_SPEEDUP,
                _speedup_in_cpu(anon, uncached, rows.get("wsgi_floor")),
            )
        )
    if _measured(premium) and _measured(anon):
        ratio = round(premium["p50_ms"] / anon["p50_ms"], 2)
        checks.append(
            _target(
                "premium subscriber p50 vs cached anonymous p50",
                size,
                f"{ratio}x",
                f"≤ {SUBSCRIBER_P50}x",
                ratio <= SUBSCRIBER_P50,
            )
        )
    static = rows.get("static")
    for name in ("nginx_article", "nginx_home"):
        row = rows.get(name)
        if _measured(row) and _measured(static):
            share = round(row["rps"] / static["rps"], 3)
            control = row.get("cache_control") or "(none)"
            why = f"nginx cache status {row.get('nginx_cache')}; Cache-Control: {control}"
            checks.append(
                _target(
                    f"{name} vs static file: req/s",
                    size,
                    f"{share}x",
                    f"≥ {CDN_SHARE_OF_STATIC}x",
                    share >= CDN_SHARE_OF_STATIC,
                    why,
                )
            )
    leak = sized.get("leak_check") or {}
    if leak.get("checked"):
        clean = not leak["anonymous_response_has_entitled_text"]
        why = "" if leak["premium_page_was_full"] else "premium page showed no more than the teaser"
        checks.append(
            _target(
                "no entitled text from the shared cache",
                size,
                "clean" if clean else "LEAK",
                "clean",
                clean,
                why,
            )
        )
    workers = [m for m in sized["memory"].get("workers", []) if m]
    if not workers:  # an older run: RSS only
        workers = [{"rss": m, "pss": m, "uss": m} for m in sized["memory"]["worker_rss_mib"] if m]
    if workers:
        rss = max(m["rss"] for m in workers)
        pss = max(m["pss"] for m in workers)
        uss = max(m["uss"] for m in workers)
        checks.append(
            _target(
                "worker memory (MiB, max): RSS, or PSS with --preload",
                size,
                f"RSS {rss}, PSS {pss}, USS {uss}",
                f"RSS ≤ {WORKER_RSS_MIB:g} or PSS ≤ {WORKER_RSS_MIB:g}",
                rss <= WORKER_RSS_MIB or pss <= WORKER_RSS_MIB,
                "--preload" if sized["memory"].get("preload") else "no --preload",
            )
        )
    return checks


def ratios(results: dict) -> list[str]:
    """uncached/cached, nginx/static and 100k/1k, side by side."""
    lines = ["| ratio | " + " | ".join(f"{int(s):,}" for s in results["sizes"]) + " |"]
    lines.append("|---|" + "---:|" * len(results["sizes"]))

    def cell(size, a, b, key):
        rows = _rows(results, size)
        x, y = rows.get(a), rows.get(b)
        if not (_measured(x) and _measured(y)) or not y[key]:
            return "–"
        return f"{x[key] / y[key]:.2f}x"

    specs = [
        (
            "uncached / cached article, CPU",
            "article_uncached",
            "article_anon",
            "cpu_ms_per_request_total",
        ),
        (
            "uncached / cached section, CPU",
            "section_uncached",
            "section",
            "cpu_ms_per_request_total",
        ),
        ("uncached / cached topic, CPU", "topic_uncached", "topic", "cpu_ms_per_request_total"),
        ("uncached / cached author, CPU", "author_uncached", "author", "cpu_ms_per_request_total"),
        ("nginx / static file, req/s (article)", "nginx_article", "static", "rps"),
        ("nginx / static file, req/s (home)", "nginx_home", "static", "rps"),
    ]
    for label, a, b, key in specs:
        lines.append(
            f"| {label} | " + " | ".join(cell(s, a, b, key) for s in results["sizes"]) + " |"
        )
    small, big = _rows(results, SMALL), _rows(results, BIG)
    if small and big:
        lines += ["", "| 100k / 1k | CPU | p50 |", "|---|---:|---:|"]
        for name, a in small.items():
            b = big.get(name)
            if _measured(a) and _measured(b) and a["cpu_ms_per_request_total"] and a["p50_ms"]:
                cpu = b["cpu_ms_per_request_total"] / a["cpu_ms_per_request_total"]
                lines.append(f"| {a['label']} | {cpu:.2f}x | {b['p50_ms'] / a['p50_ms']:.2f}x |")
    return lines


# --- Markdown ------------------------------------------------------------------------


def _fmt_queries(row: dict) -> str:
    queries = row.get("queries")
    if not queries:
        return "-"
    if row["name"] == "article_uncached":
        return str(queries.get("cold", "-"))
    return "/".join(str(queries.get(phase, "-")) for phase in ("cold", "warm"))


def _notes(row: dict) -> str:
    notes = []
    if row.get("nginx_cache"):
        notes.append(f"nginx {row['nginx_cache']}")
    if row.get("via") == "app" and row["name"] != "static":
        notes.append(f"Cache-Control: {row.get('cache_control') or '(none)'}")
    if row.get("offered_rps"):
        notes.append(
            f"{row['offered_rps']:g} req/s offered, Poisson arrivals, each timed from when it "
            f"was due (`bench/paced.py`); client lag p99 {row.get('lag_p99_ms', 0):.2f} ms"
        )
    if "others_cpu_share" in row:
        notes.append(f"rest of machine {row['others_cpu_share']:.0%} busy")
    errors = {k: v for k, v in (row.get("errors") or {}).items() if v}
    if errors:
        notes.append("errors " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    if row.get("distinct_urls"):
        repeats = row.get("repeated_urls", 0)
        notes.append(f"{row['distinct_urls']} distinct URLs, {repeats} repeats")
    if row.get("walked_once"):
        notes.append(
            "a list shorter than wrk's shortest run: walked once by a closed loop of "
            "as many connections (`bench/paced.py` `closed_loop`)"
        )
    return "; ".join(notes)


def _cpu(row: dict) -> str:
    parts = row["cpu_ms_per_request"]
    detail = " + ".join(f"{parts.get(k, 0):.2f}" for k in ("web", "db", "nginx"))
    return f"{row['cpu_ms_per_request_total']:.2f} ({detail})"


def scenario_table(rows: list[dict]) -> list[str]:
    lines = [
        "| scenario | req/s | p50 ms | p99 ms | SQL/request (cold/warm) "
        "| server CPU ms/request (web + db + nginx) | notes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        if "skipped" in row:
            lines.append(
                f"| {row['label']} | – | – | – | – | – | {row['skipped']}: `{row['url']}` |"
            )
            continue
        lines.append(
            f"| {row['label']} | {row['rps']:,.0f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{_fmt_queries(row)} | {_cpu(row)} | {_notes(row)} |"
        )
    return lines


def targets_table(targets: list[dict]) -> list[str]:
    lines = [
        "| target | articles | measured | limit | verdict | note |",
        "|---|---|---|---|---|---|",
    ]
    for t in targets:
        cells = [t["target"], t["size"], t["value"], t["limit"], f"**{t['status']}**", t["why"]]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines


def growth_table(results: dict) -> list[str]:
    small, big = _rows(results, SMALL), _rows(results, BIG)
    if not small or not big:
        return []
    lines = [
        "| scenario | p50 1k | p50 100k | p50 ratio | req/s 1k | req/s 100k |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, a in small.items():
        b = big.get(name)
        if _measured(a) and _measured(b):
            lines.append(
                f"| {a['label']} | {a['p50_ms']:.2f} | {b['p50_ms']:.2f} | "
                f"{b['p50_ms'] / a['p50_ms']:.2f}x | {a['rps']:,.0f} | {b['rps']:,.0f} |"
            )
    return lines


def explain_section(plans: list[dict] | None) -> list[str]:
    if not plans:
        return []
    lines = [
        "## Query plans at the biggest size (EXPLAIN ANALYZE on PostgreSQL)",
        "",
        "Sequential scans on tables over 10,000 rows are flagged **SEQ SCAN**.",
        "",
        "| query | execution ms | sequential scans |",
        "|---|---:|---|",
    ]
    for plan in plans:
        scans = ", ".join(
            ("**SEQ SCAN** " if s["flag"] else "") + f"{s['table']} ({s['rows']:,} rows)"
            for s in plan["seq_scans"]
        )
        timing = re.search(r"Execution Time: ([\d.]+) ms", plan["plan"])
        took = timing.group(1) if timing else "not run"
        lines.append(f"| {plan['name']} | {took} | {scans or 'none'} |")
    lines.append("")
    for plan in plans:
        lines += [f"### {plan['name']}", ""]
        if plan["sql"]:
            lines += ["```sql", plan["sql"], "```", ""]
        lines += ["```text", plan["plan"], "```", ""]
    return lines


def machine_lines(machine: dict) -> list[str]:
    load = machine["load"]
    lines = [
        f"- CPU: {machine['cpu']}, {machine['cores']} cores; RAM {machine['ram_gib']} GiB; "
        f"{machine['os']}, kernel {machine['kernel']}",
        f"- Python {machine['python']}, Django {machine['django']}, {machine['gunicorn']} "
        f"({machine['workers']} sync workers), PostgreSQL {machine['postgresql']}, "
        f"Redis {machine['redis']}, {machine['nginx']}, {machine['wrk']}",
        f"- Load: wrk with {load['threads']} threads and {load['connections']} connections "
        f"on loopback, {load['seconds']:g} s per scenario after a warm-up; gunicorn runs "
        "`DEBUG=0` production settings; Django scenarios go to gunicorn directly, the nginx "
        "rows through nginx `proxy_cache` (which stores only what Django's headers allow).",
    ]
    if machine.get("search_candidates"):
        lines.append(
            f"- Search ranks the newest {machine['search_candidates']} matches "
            "(`SEARCH_CANDIDATES` set for this run)."
        )
    return lines


def render(results: dict) -> str:
    lines = [
        f"# Newsroom benchmark, {results['started_at']}",
        "",
        *machine_lines(results["machine"]),
        f"- Whole run: {results['elapsed_seconds']:.0f} s (`make bench`).",
        "",
        "SQL/request is counted in-process for one request (cold: first fetch, "
        "warm: the repeat, a page-cache hit when the page is cached). Server CPU is "
        "the CPU time gunicorn, nginx and the bench database's PostgreSQL backends "
        "used during the run (from /proc), divided by the requests; Redis is not "
        'included (it is shared with other work on this machine). "Rest of machine '
        'busy" is the CPU share everything else used meanwhile (wrk itself and any other '
        "work on the machine): a high share means noisy req/s and latency; CPU per "
        "request is the steadier figure.",
        "",
    ]
    for size, sized in results["sizes"].items():
        seeded = "reused" if sized["reused"] else f"seeded in {sized['seed_seconds']} s"
        memory = sized["memory"]
        rss = "; ".join(
            f"RSS {m['rss']}, PSS {m['pss']}, USS {m['uss']} MiB"
            for m in memory.get("workers", [])
            if m
        ) or ", ".join(f"{m} MiB" for m in memory["worker_rss_mib"])
        master = memory.get("master")
        if master:
            rss += f" (master: RSS {master['rss']}, PSS {master['pss']}, USS {master['uss']} MiB)"
        rss += "; gunicorn " + ("with" if memory.get("preload") else "without") + " --preload"
        in_process = sized.get("uncached_in_process") or {}
        lines += [
            f"## {int(size):,} articles (`{sized['database']}`, {seeded})",
            "",
            *scenario_table(sized["scenarios"]),
            "",
            f"Workers after the run: {rss}.",
            "",
        ]
        if in_process:
            lines += [
                "Pages after a purge (in-process, the list generation bumped before each "
                "request, as a publish does; CPU ms/request):",
                "",
                "| page | web | db | total |",
                "|---|---:|---:|---:|",
                *(
                    f"| {name} `{m['url']}` | {m['web_ms']} | {m['db_ms']} | {m['total_ms']} |"
                    for name, m in in_process.items()
                ),
                "",
            ]
    growth = growth_table(results)
    if growth:
        lines += ["## Growth from 1,000 to 100,000 articles", "", *growth, ""]
    lines += ["## Ratios", "", *ratios(results), ""]
    lines += [
        "## Targets (issue 15)",
        "",
        factor_line(results),
        "",
        *targets_table(results["targets"]),
        "",
    ]
    biggest = results["sizes"][max(results["sizes"], key=int)]
    lines += explain_section(biggest.get("explain"))
    return "\n".join(lines) + "\n"


def summary_table(results: dict) -> str:
    """The compact table the README shows: both sizes side by side, then the verdicts."""
    small, big = _rows(results, SMALL), _rows(results, BIG)
    lines = [
        "| scenario | req/s 1k | req/s 100k | p50 ms 1k | p50 ms 100k | SQL/request "
        "| CPU ms/request 1k | CPU ms/request 100k |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, a in (small or big).items():
        b = big.get(name, {})
        if not _measured(a):
            lines.append(f"| {a['label']} | {a['skipped']} | | | | | | |")
            continue
        cells = [a["label"]]
        cells += [f"{r['rps']:,.0f}" if _measured(r) else "–" for r in (a, b)]
        cells += [f"{r['p50_ms']:.1f}" if _measured(r) else "–" for r in (a, b)]
        cells.append(_fmt_queries(a))
        cells += [f"{r['cpu_ms_per_request_total']:.2f}" if _measured(r) else "–" for r in (a, b)]
        lines.append("| " + " | ".join(cells) + " |")
    verdicts = {}
    for t in results["targets"]:
        verdicts.setdefault(t["status"], []).append(f"{t['target']} ({t['size']})")
    lines += ["", *ratios(results), ""]
    for status in ("PASS", "FAIL", "n/a"):
        if verdicts.get(status):
            lines.append(f"- **{status}**: " + "; ".join(verdicts[status]))
    return "\n".join(lines)
