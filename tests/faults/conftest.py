"""Real processes for the fault tests: a Redis server of our own and a gunicorn web server."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest

from tests.conftest import ROOT, subprocess_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}:\n{log.read_text(errors='replace')[-3000:]}")


class RedisServer:
    """A throwaway redis-server we may stop and restart (never the shared one)."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = tmp / "redis.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(command, stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.proc, self.log)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class WebServer:
    """gunicorn serving the project on the test database, on a free loopback port.

    It runs in a session of its own, so ``kill()`` can take the master and its
    workers down at once, as a machine losing the process would.
    """

    def __init__(
        self, tmp: Path, *, workers: int = 4, threads: int = 8, name: str = "gunicorn", **env: str
    ):
        self.port = free_port()
        self.log = tmp / f"{name}.log"
        command = [sys.executable, "-m", "gunicorn", "newsroom.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        command += ["--worker-class", "gthread", "--threads", str(threads)]
        command += ["--keep-alive", "30", "--timeout", "60", "--log-level", "warning"]
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=subprocess_env(LOG_LEVEL="WARNING", **env),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_for_port(self.port, self.proc, self.log)

    def get(self, path: str, *, cookies: dict | None = None) -> tuple[int, dict, str]:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the master and every worker: nothing finishes, nothing cleans up."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_web_server(transactional_db, tmp_path):
    """``start_web_server(**env)`` runs gunicorn on the committed test data; stopped after."""
    started = []

    def start(**env: str) -> WebServer:
        server = WebServer(tmp_path, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
