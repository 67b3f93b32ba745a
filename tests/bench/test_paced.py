"""The paced load (``bench/paced.py``): what it sends, and how it reports what came back."""

import importlib.util
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "bench_paced", Path(__file__).resolve().parents[2] / "bench" / "paced.py"
)
paced = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(paced)


def test_each_path_is_asked_for_once_and_failures_are_counted(server):
    port, asked = server
    paths = [f"/cari/?q=w{n}" for n in range(30)] + ["/broken/1", "/broken/2"]
    # 1,000 a second for 5 s would be 5,000 requests: the list's 32 end it.
    result = paced.paced_load(port, paths, rate=1000, seconds=5)
    assert sorted(asked) == sorted(paths)
    assert result["requests"] == 32
    assert result["errors"] == {"connect": 0, "read": 0, "write": 0, "status": 2, "timeout": 0}
    assert 0 < result["p50_us"] <= result["p99_us"] <= result["max_us"]


def test_the_rate_offered_is_the_rate_asked_for(server):
    """rate x seconds requests, whatever the seed (the bench's seed once drew
    7% fewer arrivals than its rate at every rate)."""
    port, asked = server
    paths = [f"/x/{n}" for n in range(500)]
    result = paced.paced_load(port, paths, rate=400, seconds=0.5, seed=15)
    assert result["requests"] == len(asked) == 200
    for seed in range(20):
        assert len(paced.schedule(100.0, 7.65, limit=805, seed=seed)) == 765


def test_requests_are_due_at_random_moments_spread_over_the_window():
    due = paced.schedule(1000.0, 8.0, limit=10_000, seed=3)
    assert due == sorted(due)
    assert due[0] >= 0.0
    assert due[-1] < 8.0
    # Each second of the window holds about a thousand of them (±3% by chance).
    per_second = [sum(1 for moment in due if n <= moment < n + 1) for n in range(8)]
    assert all(900 < count < 1100 for count in per_second), per_second
    # The gaps are random (exponential-like), not a metronome.
    gaps = [b - a for a, b in zip(due, due[1:], strict=False)]
    assert max(gaps) > 5 * (8.0 / len(due)) > 100 * min(gaps)


def test_the_same_seed_offers_the_same_schedule():
    first = paced.schedule(400.0, 0.5, limit=500, seed=7)
    assert first == paced.schedule(400.0, 0.5, limit=500, seed=7)
    assert first != paced.schedule(400.0, 0.5, limit=500, seed=8)


def test_a_refused_connection_is_a_failed_request_not_a_crash():
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    result = paced.paced_load(port, ["/a", "/b"], rate=1000, seconds=1)
    assert result["requests"] == 2
    assert result["errors"]["connect"] == 2


def test_percentiles_are_nearest_rank_over_every_request():
    done = [("ok", n / 1000, 0.0) for n in range(1, 101)]  # 1..100 ms
    done[-1] = ("timeout", 10.0, 0.002)
    got = paced.summary(done, elapsed=2.0)
    assert got["p50_us"] == 50_000
    assert got["p99_us"] == 99_000
    assert got["max_us"] == 10_000_000
    assert got["lag_p99_us"] == 0
    assert got["rps"] == 50.0
    assert got["errors"]["timeout"] == 1


def test_the_offered_rate_is_the_targets_on_the_machine_measured(monkeypatch, bench_run):
    """200 req/s on the reference machine; half that where the floor cost twice
    as much; ``BENCH_PACED_RATE`` as given."""
    floor = {"name": "wsgi_floor", "cpu_ms_per_request_total": 0.70}
    assert bench_run.offered_rate([floor]) == 100.0
    assert bench_run.offered_rate([{**floor, "cpu_ms_per_request_total": 0.30}]) == 200.0
    assert bench_run.offered_rate([]) == 200.0
    monkeypatch.setattr(bench_run, "PACED_RATE", "150")
    assert bench_run.offered_rate([floor]) == 150.0


def test_a_closed_loop_asks_for_each_path_once_as_many_at_a_time_as_its_connections(
    slow_server,
):
    """A list shorter than wrk's shortest run: walked once, with the
    concurrency wrk would keep, and timed until the last answer."""
    port, asked, peak = slow_server
    paths = [f"/rubrik/r{n}/?page={n % 3 + 1}" for n in range(40)]
    result = paced.closed_loop(port, paths, connections=4, seconds=10)
    assert sorted(asked) == sorted(paths)
    assert result["requests"] == 40
    assert peak["most"] == 4
    # 40 answers of 20 ms, 4 at a time: at least 0.2 s, and well under the 10 s allowed.
    assert 0.2 <= result["duration_us"] / 1e6 < 2
    assert result["rps"] == pytest.approx(40 / (result["duration_us"] / 1e6), rel=1e-3)


def test_a_closed_loop_ends_when_its_time_is_up(slow_server):
    port, asked, _peak = slow_server
    paths = [f"/x/{n}" for n in range(1000)]
    result = paced.closed_loop(port, paths, connections=2, seconds=0.3)
    assert 10 <= result["requests"] == len(asked) < 100
    assert len(set(asked)) == len(asked)


def test_a_list_shorter_than_wrks_shortest_run_is_walked_once(
    server, bench_run, monkeypatch, tmp_path
):
    """56 pages asked for at 1,500 hits a second: wrk's one second would go
    round them 27 times, cache hits all but the first."""
    port, asked = server
    paths = [f"/rubrik/ekonomi/?page={n}" for n in range(1, 57)]
    listed = tmp_path / "paths.txt"
    listed.write_text("\n".join(paths) + "\n")

    class NoSampler:
        others_share = 0.0

        def __init__(self, *args):
            pass

        def stop(self):
            return {}

    monkeypatch.setattr(bench_run, "CpuSampler", NoSampler)
    monkeypatch.setattr(bench_run, "flush_page_cache", lambda size: 0)
    result, _cpu, _others = bench_run.load_without_repeats(
        port, paths[0], listed, len(paths), 1500.0, 1000, {}
    )
    assert result["walked_once"]
    assert sorted(asked) == sorted(paths)
    assert result["requests"] == len(paths)
