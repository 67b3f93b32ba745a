"""Real processes for the fault tests: a Redis server of our own and a gunicorn web server."""

import os
import shutil
import signal
import socket
import sys
from http.client import HTTPConnection
from pathlib import Path

import pytest

from tests.conftest import subprocess_env
from tests.processes import ChildProcess, port_open


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server we may stop and restart (never the shared one)."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = tmp / "redis.log"
        self.process: ChildProcess | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = ChildProcess(command, self.log, env=dict(os.environ), append=True)
        self.process.wait_until(lambda: port_open(self.port), f"listening on {self.port}")

    def stop(self) -> None:
        """Kill it: Redis goes away as a crashed server would."""
        if self.process:
            self.process.stop(signal.SIGKILL)


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class WebServer(ChildProcess):
    """gunicorn serving the project on the test database, on a free loopback port.

    It runs in a session of its own, so ``kill()`` can take the master and its
    workers down at once, as a machine losing the process would.
    """

    def __init__(
        self, tmp: Path, *, workers: int = 4, threads: int = 8, name: str = "gunicorn", **env: str
    ):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "newsroom.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        command += ["--worker-class", "gthread", "--threads", str(threads)]
        command += ["--keep-alive", "30", "--timeout", "60", "--log-level", "warning"]
        env = subprocess_env(LOG_LEVEL="WARNING", **env)
        super().__init__(command, tmp / f"{name}.log", env=env)
        self.wait_until(lambda: port_open(self.port), f"listening on {self.port}")

    def get(self, path: str, *, cookies: dict | None = None) -> tuple[int, dict, str]:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()


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
