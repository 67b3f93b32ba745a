"""Real processes for the pipeline tests: killable workers and beats."""

import http.server
import signal
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import TEST_QUEUE, subprocess_env
from tests.processes import ChildProcess


class ProcessGroup(ChildProcess):
    """A ``celery`` process (and its children) started in its own session."""

    # Beat releases its lease on SIGTERM. A worker has nothing to keep and
    # its shutdown takes seconds, so tests end it with SIGKILL.
    stop_timeout = 10.0

    def __init__(self, args: list[str], log_path: Path, **env: str):
        command = [sys.executable, "-m", "celery", "-A", "newsroom", *args]
        super().__init__(command, log_path, env=subprocess_env(PYTHONUNBUFFERED="1", **env))


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
