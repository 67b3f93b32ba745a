"""Real processes for the pipeline tests: a killable worker and a beat.

``tests.conftest.WorkerProcess`` cannot be killed as a whole (its pool
children would live on), so these start each process in its own session and
kill the whole group.
"""

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, TEST_QUEUE, subprocess_env


class ProcessGroup:
    """A ``celery`` process (and its children) started in its own session."""

    # Beat releases its lease on SIGTERM. A worker has nothing to keep and
    # its shutdown takes seconds, so tests end it with SIGKILL.
    stop_signal = signal.SIGTERM

    def __init__(self, args: list[str], log_path: Path, **env: str):
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "newsroom", *args],
            cwd=ROOT,
            env=subprocess_env(PYTHONUNBUFFERED="1", **env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, text: str, *, timeout: float = 30, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.output().count(text) >= count:
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"process exited:\n{self.output()}")
            time.sleep(0.1)
        raise RuntimeError(f"{text!r} not seen in {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the process and every child: nothing gets to clean up."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, self.stop_signal)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def start_worker(log_path: Path, *, concurrency: int = 1, **env: str) -> ProcessGroup:
    worker = ProcessGroup(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "-Q",
            TEST_QUEUE,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{TEST_QUEUE}-{log_path.stem}@%h",
        ],
        log_path,
        **env,
    )
    worker.stop_signal = signal.SIGKILL
    worker.wait_for_output(" ready.")
    return worker


def start_beat(tmp_path: Path, name: str = "beat", **env: str) -> ProcessGroup:
    beat = ProcessGroup(
        ["beat", "--loglevel=INFO", "-s", str(tmp_path / f"{name}-schedule")],
        tmp_path / f"{name}.log",
        **{"PIPELINE_SWEEP_SECONDS": "1", "PIPELINE_BEAT_LOCK_TTL": "3", **env},
    )
    beat.wait_for_output("beat: Starting")
    return beat


@pytest.fixture
def processes(transactional_db):
    """Start workers and beats with ``processes.append(...)``; all stop at the end."""
    started: list[ProcessGroup] = []
    yield started
    for process in started:
        process.stop()


class _Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length", "0"))
        self.server.received.append(self.rfile.read(length))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        return


@pytest.fixture
def webhook_receiver():
    """A local HTTP endpoint that keeps every POST body it receives."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield server
    server.shutdown()
    server.server_close()
