"""A process a test starts and that never becomes ready leaves nothing behind.

A worker left running after its test failed held the test database (the next
run's ``DROP DATABASE`` failed on it) and took tasks from the test queue.
"""

import os
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import WorkerProcess, wait_for
from tests.faults.conftest import free_port
from tests.processes import ChildProcess


def processes_marked(mark: str) -> list[int]:
    """The pids of live processes whose environment holds ``NEWSROOM_TEST_MARK=mark``."""
    needle = f"NEWSROOM_TEST_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # ended while we looked
        if needle in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def gone(mark: str) -> None:
    """Every marked process ends within moments (a SIGKILL is delivered, not awaited)."""
    wait_for(lambda: not processes_marked(mark), timeout=5, interval=0.05)


def marked_env() -> tuple[str, dict[str, str]]:
    mark = uuid.uuid4().hex
    return mark, {**os.environ, "NEWSROOM_TEST_MARK": mark}


# A parent that starts a child which would outlive it, then never says "ready".
PARENT = "import subprocess, time; subprocess.Popen(['sleep', '300']); print('started', flush=True)"


def test_a_process_that_never_says_ready_is_killed_with_its_children(tmp_path):
    mark, env = marked_env()
    process = ChildProcess(
        [sys.executable, "-c", PARENT + "; time.sleep(300)"], tmp_path / "p.log", env=env
    )
    process.wait_for_output("started")
    assert len(processes_marked(mark)) == 2  # the parent and its child

    with pytest.raises(RuntimeError, match="'ready' in its log: not within 1 s"):
        process.wait_for_output("ready", timeout=1)

    gone(mark)


def test_a_process_that_exits_before_ready_leaves_no_child(tmp_path):
    mark, env = marked_env()
    process = ChildProcess([sys.executable, "-c", PARENT], tmp_path / "p.log", env=env)

    with pytest.raises(RuntimeError, match="exited before 'ready' in its log"):
        process.wait_for_output("ready", timeout=20)

    gone(mark)


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_that_cannot_reach_its_broker_is_stopped_pool_and_all(tmp_path):
    mark = uuid.uuid4().hex
    unreachable = f"redis://127.0.0.1:{free_port()}/0"

    with pytest.raises(RuntimeError, match="' ready.' in its log: not within 8 s"):
        WorkerProcess(
            tmp_path / "worker.log",
            ready_timeout=8,
            CELERY_BROKER_URL=unreachable,
            NEWSROOM_TEST_MARK=mark,
        )

    log = (tmp_path / "worker.log").read_text()
    assert "Connection refused" in log  # it was trying, not crashed
    gone(mark)
