"""Real processes the tests start: a worker, a beat, a web server.

Each runs in a session of its own, so it can be stopped whole, pool children
included. One that never becomes ready is killed, children and all, before
the error is raised: left running, it would hold the test database (and the
next run's ``DROP DATABASE`` would fail on it) or take tasks from the test
queue meant for the next test's worker.
"""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class ChildProcess:
    """A command started in its own session, writing to ``log_path``."""

    # What ``stop()`` sends the process itself. Whatever of its group is still
    # there after ``stop_timeout`` seconds is killed.
    stop_signal = signal.SIGTERM
    stop_timeout = 15.0

    def __init__(self, command: list[str], log_path: Path, *, env: dict[str, str], append=False):
        self.log_path = log_path
        self.log = open(log_path, "a" if append else "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until(self, ready: Callable[[], bool], what: str, *, timeout: float = 30) -> None:
        """Return once ``ready()``; else kill the whole group and raise with the log's end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"process exited before {what}:\n{self.output()[-4000:]}")
            time.sleep(0.1)
        self.stop(signal.SIGKILL)
        raise RuntimeError(f"{what}: not within {timeout} s:\n{self.output()[-4000:]}")

    def wait_for_output(self, text: str, *, timeout: float = 30, count: int = 1) -> None:
        self.wait_until(
            lambda: self.output().count(text) >= count, f"{text!r} in its log", timeout=timeout
        )

    def kill(self) -> None:
        """SIGKILL the process and every child: nothing finishes, nothing cleans up."""
        self._signal_group(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, stop_signal: int | None = None) -> None:
        """Ask the process to end (``stop_signal``), then kill whatever of its group is left."""
        if self.proc.poll() is None:
            self.proc.send_signal(stop_signal or self.stop_signal)
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        self.log.close()

    def _signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.proc.pid, signum)
        except ProcessLookupError:
            pass  # the whole group has ended
