"""wrk's script for the bench (``bench/wrk.lua``), driven as ``bench/run.py``
drives it, against a local server that records what it was asked for."""

import shutil

import pytest

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")


def test_a_rotation_is_asked_for_once_each_and_no_more(server, bench_run, tmp_path):
    """Each path of the list once, however long the run: going round the list
    again made a small site's "uncached" list pages cache hits."""
    port, asked = server
    paths = [f"/rubrik/r{n}/?page={n % 5 + 1}" for n in range(45)]
    listed = tmp_path / "paths.txt"
    listed.write_text("\n".join(paths) + "\n")
    result = bench_run.wrk(port, paths[0], 2, None, listed)
    assert sorted(asked) == sorted(paths)
    assert result["requests"] == len(paths)
    # wrk counts the run's idle end in its duration; the closed loop's rate
    # (connections over the mean latency) does not.
    assert bench_run.closed_loop_rps(result) > result["rps"]


def test_without_a_list_every_request_asks_for_the_url_given(server, bench_run):
    port, asked = server
    result = bench_run.wrk(port, "/same/", 1, None, None)
    # The requests under way when the run ended reached the server, uncounted.
    assert len(asked) >= result["requests"] > 45
    assert set(asked) == {"/same/"}
