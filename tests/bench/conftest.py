"""Fixtures of the bench's own tests: a local HTTP server that records what
it was asked for, and ``bench/run.py`` loaded as a module."""

import importlib.util
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@contextmanager
def _recording_server(delay: float = 0.0):
    """A local HTTP server that records the paths it was asked for (and the
    most requests it answered at once), answers 500 for any path under
    /broken/, and takes ``delay`` seconds over each answer."""
    asked = []
    peak = {"now": 0, "most": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            with lock:
                asked.append(self.path)
                peak["now"] += 1
                peak["most"] = max(peak["most"], peak["now"])
            time.sleep(delay)
            with lock:
                peak["now"] -= 1
            status = 500 if self.path.startswith("/broken/") else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024  # bursts of connections, as gunicorn's --backlog takes them

    httpd = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], asked, peak
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server():
    """``(port, asked)`` of a recording server that answers at once."""
    with _recording_server() as (port, asked, _peak):
        yield port, asked


@pytest.fixture
def slow_server():
    """``(port, asked, peak)`` of a recording server that takes 20 ms an answer;
    ``peak["most"]``: the most requests it was answering at once."""
    with _recording_server(delay=0.02) as found:
        yield found


@pytest.fixture
def bench_run():
    """``bench/run.py``, loaded fresh (tests may change its settings)."""
    spec = importlib.util.spec_from_file_location(
        "bench_run", Path(__file__).resolve().parents[2] / "bench" / "run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
