"""The benchmark's verdicts: what `make bench` writes as PASS, FAIL or n/a."""

import importlib.util
import json
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_report", Path(__file__).resolve().parents[2] / "bench" / "report.py"
)
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)


def row(name, *, rps, p50, cpu, queries=None, **extra):
    return {
        "name": name,
        "label": name,
        "url": "/x/",
        "via": extra.pop("via", "app"),
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p50 * 2,
        "cpu_ms_per_request": {"web": cpu, "db": 0.0, "nginx": 0.0},
        "cpu_ms_per_request_total": cpu,
        "queries": queries,
        **extra,
    }


def size(rows, rss=(80.0, 90.0)):
    return {
        "database": "nr_bench",
        "reused": True,
        "seed_seconds": None,
        "scenarios": rows,
        "memory": {"worker_rss_mib": list(rss)},
        "leak_check": {
            "checked": True,
            "anonymous_response_has_entitled_text": False,
            "premium_page_was_full": True,
        },
    }


def verdicts(results):
    return {(t["target"], t["size"]): t["status"] for t in report.check_targets(results)}


@pytest.fixture
def results():
    def rows(p50_uncached):
        return [
            row("article_anon", rps=2000, p50=2.0, cpu=1.0),
            row("article_uncached", rps=150, p50=p50_uncached, cpu=5.0, queries={"cold": 7}),
            row("article_premium", rps=1500, p50=3.0, cpu=1.4),
            row("api_detail", rps=300, p50=20.0, cpu=6.0, etag_304=304),
            row("wsgi_floor", rps=4000, p50=1.0, cpu=0.7),
            {"name": "api_list", "label": "API", "url": "/api/v1/articles", "skipped": "404"},
            row("nginx_article", rps=10_000, p50=0.5, cpu=0.1, via="nginx", nginx_cache="HIT"),
            row("static", rps=30_000, p50=0.2, cpu=0.01, via="nginx"),
        ]

    return {"sizes": {"1000": size(rows(40.0)), "100000": size(rows(60.0), rss=(80.0, 120.0))}}


MACHINE = {
    "cpu": "cpu",
    "cores": 2,
    "ram_gib": 1,
    "os": "os",
    "kernel": "k",
    "python": "3",
    "django": "5",
    "gunicorn": "g",
    "workers": 2,
    "postgresql": "15",
    "redis": "7",
    "nginx": "n",
    "wrk": "w",
    "load": {"threads": 2, "connections": 8, "seconds": 10},
}


def test_the_hit_vs_miss_verdict_says_the_ratio_in_cpu_and_above_the_floor(results):
    """A hit and a miss both pay the server's own per-request work (the floor):
    the verdict's note says how the two compare without it."""
    checks = {(t["target"], t["size"]): t for t in report.check_targets(results)}
    note = checks[("cache hit vs uncached article: req/s", "1000")]["why"]
    # 5.0 ms against 1.0; above a floor of 0.7 ms: 4.3 against 0.3.
    assert note == "CPU 5.0x (5.00 against 1.00 ms); above the floor's 0.70 ms: 14.3x"

    floorless = {"sizes": {"1000": dict(results["sizes"]["1000"])}}
    floorless["sizes"]["1000"]["scenarios"] = [
        r for r in results["sizes"]["1000"]["scenarios"] if r["name"] != "wsgi_floor"
    ]
    checks = {(t["target"], t["size"]): t for t in report.check_targets(floorless)}
    assert checks[("cache hit vs uncached article: req/s", "1000")]["why"] == (
        "CPU 5.0x (5.00 against 1.00 ms)"
    )


def test_targets_pass_fail_and_not_available(results):
    got = verdicts(results)
    assert got[("uncached article: SQL queries", "1000")] == "PASS"
    assert got[("cache hit vs uncached article: req/s", "1000")] == "PASS"  # 13.3x
    assert got[("premium subscriber p50 vs cached anonymous p50", "1000")] == "PASS"
    # 10,000 / 30,000 req/s is under half the static file's throughput.
    assert got[("nginx_article vs static file: req/s", "1000")] == "FAIL"
    assert got[("worker memory (MiB, max): RSS, or PSS with --preload", "100000")] == "FAIL"
    assert got[("worker memory (MiB, max): RSS, or PSS with --preload", "1000")] == "PASS"
    assert got[("api_detail: ETag and 304", "1000")] == "PASS"
    assert got[("p50 growth 1k→100k: article_uncached", "both")] == "FAIL"  # 1.5x
    assert got[("p50 growth 1k→100k: article_anon", "both")] == "PASS"
    assert got[("p50 growth 1k→100k: api_list", "both")] == "n/a"


def test_a_leak_through_the_shared_cache_fails(results):
    results["sizes"]["1000"]["leak_check"]["anonymous_response_has_entitled_text"] = True
    assert verdicts(results)[("no entitled text from the shared cache", "1000")] == "FAIL"


def test_markdown_marks_unavailable_scenarios(results):
    results.update(
        started_at="2026-01-01T00:00:00+00:00",
        elapsed_seconds=1.0,
        machine=MACHINE,
    )
    results["targets"] = report.check_targets(results)
    markdown = report.render(results)
    assert "| API | – | – | – | – | – | 404: `/api/v1/articles` |" in markdown
    assert "**FAIL**" in markdown
    assert "## Growth from 1,000 to 100,000 articles" in markdown
    assert "SEARCH_CANDIDATES" not in markdown  # the app's default: nothing to say


def test_a_run_with_other_search_candidates_says_so():
    """A search's cost depends on how many matches it ranks: a run that set
    ``SEARCH_CANDIDATES`` must not pass for one at the default."""
    lines = report.machine_lines({**MACHINE, "search_candidates": "150"})
    expected = "- Search ranks the newest 150 matches (`SEARCH_CANDIDATES` set for this run)."
    assert lines[-1] == expected


def test_cpu_limits_scale_with_the_machine_floor(results):
    """The floor cost 0.7 ms here, twice the reference's 0.35: a 3 ms limit is 6 ms."""
    got = verdicts(results)
    assert results["machine_factor"] == 2.0
    assert got[("API detail: CPU ms/request", "1000")] == "PASS"  # 6.0 <= 3 x 2
    assert got[("cache hit (article_premium) within 10% of the reference", "1000")] == "PASS"
    results.pop("machine_factor")
    results["sizes"]["1000"]["scenarios"][3]["cpu_ms_per_request_total"] = 6.1
    assert verdicts(results)[("API detail: CPU ms/request", "1000")] == "FAIL"


def test_a_faster_machine_keeps_the_stated_limits_and_says_what_its_floor_cost(results):
    """A floor cheaper than the reference's does not tighten the limits, and
    the report says what it cost (not "1.0 times") and that the limits are
    looser there than on the reference machine."""
    for size in results["sizes"].values():
        size["scenarios"][4]["cpu_ms_per_request_total"] = 0.25  # the floor; reference 0.35
    results.update(started_at="2026-01-01T00:00:00+00:00", elapsed_seconds=1.0, machine=MACHINE)
    results["targets"] = report.check_targets(results)
    assert results["machine_factor"] == 1.0
    assert verdicts(results)[("API detail: CPU ms/request", "1000")] == "FAIL"  # 6.0 > 3
    markdown = report.render(results)
    assert "the floor scenario cost 0.71 times the reference run's 0.35 ms" in markdown
    assert "about 29% looser here than on the reference machine" in markdown
    # A slower machine's line says what its limits are scaled by.
    results.pop("machine_factor")
    for size in results["sizes"].values():
        size["scenarios"][4]["cpu_ms_per_request_total"] = 0.7
    results["targets"] = report.check_targets(results)
    assert "cost 2.0 times the reference run's 0.35 ms here, so CPU limits are scaled" in (
        report.render(results)
    )
    # No floor measured: nothing to scale by, and the line does not pretend otherwise.
    results.pop("machine_factor")
    for size in results["sizes"].values():
        size["scenarios"][4] = {"name": "wsgi_floor", "label": "floor", "url": "/", "skipped": "x"}
    results["targets"] = report.check_targets(results)
    assert "the floor scenario was not measured, so the limits are as stated" in (
        report.render(results)
    )


def test_shared_pages_count_once_for_the_memory_target(results):
    memory = results["sizes"]["100000"]["memory"]
    memory["preload"] = True
    memory["workers"] = [{"rss": 120.0, "pss": 70.0, "uss": 40.0}] * 2
    target = "worker memory (MiB, max): RSS, or PSS with --preload"
    assert verdicts(results)[(target, "100000")] == "PASS"


def test_a_search_is_judged_new_and_paged_on(results):
    """A new query and a next page are held to the same search targets at 100k
    (scaled by the floor: this machine is twice as slow as the reference)."""
    results["sizes"]["100000"]["scenarios"] += [
        row("search_uncached", rps=80, p50=50.0, cpu=12.0),  # limits: 100 req/s, 40 ms
        row("search_pages", rps=420, p50=18.0, cpu=4.0),
    ]
    got = verdicts(results)
    assert got[("search_uncached: req/s", "100000")] == "FAIL"
    assert got[("search_uncached: p50 ms", "100000")] == "FAIL"
    assert got[("search_pages: req/s", "100000")] == "PASS"
    assert got[("search_pages: p50 ms", "100000")] == "PASS"


def test_a_search_at_an_offered_rate_is_judged_by_its_median_and_its_failures(results):
    """A paced row (``bench/paced.py``) is held to the p50 alone, scaled by the
    floor (40 ms here), and fails if any request failed; the API's new query
    gets the req/s and p50 verdicts a site search gets."""
    paced = {"offered_rps": 200.0, "lag_p99_ms": 0.4}
    results["sizes"]["100000"]["scenarios"] += [
        row("search_uncached_paced", rps=199, p50=14.0, cpu=7.0, **paced),
        row("api_search_uncached_paced", rps=150, p50=39.0, cpu=7.0, **paced),
        row("api_search_uncached", rps=230, p50=35.0, cpu=6.0),
    ]
    results["sizes"]["100000"]["scenarios"][-2]["errors"] = {"status": 3, "timeout": 0}
    got = verdicts(results)
    assert got[("search_uncached at the target's rate: p50 ms", "100000")] == "PASS"
    assert got[("api_search_uncached at the target's rate: p50 ms", "100000")] == "FAIL"
    assert ("search_uncached_paced: req/s", "100000") not in got
    assert got[("api_search_uncached: req/s", "100000")] == "PASS"
    assert got[("api_search_uncached: p50 ms", "100000")] == "PASS"
    table = "\n".join(report.scenario_table(results["sizes"]["100000"]["scenarios"]))
    assert "200 req/s offered, Poisson arrivals" in table


def test_a_verdict_near_its_limit_says_it_can_flip(results):
    """Within 5% of the limit either side, a verdict notes that runs of one
    machine flip it; further off, it does not (limits doubled by the floor here)."""
    results["sizes"]["100000"]["scenarios"] += [
        row("search_pages", rps=97, p50=41.5, cpu=4.0),  # limits: 100 req/s, 40 ms
        row("search_uncached", rps=50, p50=30.0, cpu=12.0),
    ]
    results["sizes"]["1000"]["scenarios"][3]["cpu_ms_per_request_total"] = 5.8  # limit 6
    notes = {(t["target"], t["size"]): t["why"] for t in report.check_targets(results)}
    flip = "within 5% of the limit: runs of one machine can flip it"
    assert flip in notes[("search_pages: req/s", "100000")]  # FAIL by 3%
    assert flip in notes[("search_pages: p50 ms", "100000")]  # FAIL by 4%
    assert flip in notes[("API detail: CPU ms/request", "1000")]  # PASS by 3%
    assert flip not in notes[("search_uncached: req/s", "100000")]
    assert flip not in notes[("search_uncached: p50 ms", "100000")]
    assert flip in notes[("API detail: CPU ms/request", "100000")]  # 6.0: at the limit
    assert flip not in notes[("uncached article: CPU ms/request", "100000")]  # 5 of 16


def test_a_closed_loop_p50_says_what_the_connections_alone_make_of_it(results):
    """wrk's connections wait for their answers, so its mean latency is
    connections ÷ req/s: the search p50 verdict under wrk gives that sum and the
    rate a p50 at the limit would need; the paced row (latency at an offered
    rate) carries no such note."""
    results["machine"] = {"load": {"threads": 2, "connections": 8, "seconds": 10}}
    results["sizes"]["100000"]["scenarios"] += [
        row("search_uncached", rps=160, p50=48.0, cpu=6.5),
        row("search_uncached_paced", rps=190, p50=45.0, cpu=7.2, offered_rps=200),
    ]
    checks = {(t["target"], t["size"]): t for t in report.check_targets(results)}
    closed = checks[("search_uncached: p50 ms", "100000")]
    assert closed["status"] == "FAIL"
    # 8 ÷ 160 req/s = 50 ms; the limit (20 ms, doubled by this machine's floor) needs 200 req/s.
    assert "8 ÷ 160 req/s = 50.0 ms" in closed["why"]
    assert "a p50 of 40 ms needs about 200 req/s" in closed["why"]
    paced = checks[("search_uncached at the target's rate: p50 ms", "100000")]
    assert "closed loop" not in paced["why"]
    # Without the load's description (an old result file) the verdict stands alone.
    del results["machine"], results["machine_factor"]
    again = {(t["target"], t["size"]): t for t in report.check_targets(results)}
    assert "closed loop" not in again[("search_uncached: p50 ms", "100000")]["why"]


def _counted(**pages):
    return {
        "commit": "new1234",
        "size": "100000",
        "pages": {name: {"requests": 20, "instructions": count} for name, count in pages.items()},
    }


def test_web_instructions_are_judged_against_the_reference_commit_unscaled(results):
    results["instructions"] = _counted(article=16_500_000, search=21_000_000, floor=700_000)
    reference = {
        "commit": "ref5678",
        "pages": {
            "article": {"instructions": 16_620_000},
            "search": {"instructions": 19_130_000},
        },
    }
    results["machine_factor"] = 2.0  # a slow machine: counts are not scaled by it

    rows = {r["target"]: r for r in report.instruction_targets(results, reference)}

    article = rows["web instructions within 5% of the reference: article (M)"]
    assert (article["status"], article["value"], article["size"]) == ("PASS", 16.5, "100000")
    assert article["why"] == "-0.7% against ref5678"
    search = rows["web instructions within 5% of the reference: search (M)"]
    assert search["status"] == "FAIL"  # +9.8%, whatever the machine factor
    assert search["limit"] == "≤ 19.13 ×1.05 = 20.09"
    floor = rows["web instructions within 5% of the reference: floor (M)"]
    assert (floor["status"], floor["why"]) == ("n/a", "not in the reference")


def test_a_run_without_counts_says_why_and_the_committed_reference_is_a_run(results):
    results["instructions"] = {"skipped": "valgrind or its callgrind.h is not on this machine"}
    [row] = report.instruction_targets(results)
    assert (row["status"], row["why"]) == ("n/a", results["instructions"]["skipped"])

    # The committed reference is one of bench/instructions.py's runs, every page in it.
    reference = json.loads(report.INSTRUCTIONS_REFERENCE.read_text())
    assert reference["commit"]
    assert reference["pages"]["article"]["instructions"] > 1_000_000
    results["instructions"] = _counted(
        **{n: p["instructions"] for n, p in reference["pages"].items()}
    )
    assert {r["status"] for r in report.instruction_targets(results)} == {"PASS"}
