"""Fixtures of the bench's own tests: a local HTTP server that records what
it was asked for, and ``bench/run.py`` loaded as a module."""

import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@pytest.fixture
def server():
    """A local HTTP server that records the paths it was asked for and
    answers 500 for any path under /broken/."""
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
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
    yield httpd.server_address[1], asked
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def bench_run():
    """``bench/run.py``, loaded fresh (tests may change its settings)."""
    spec = importlib.util.spec_from_file_location(
        "bench_run", Path(__file__).resolve().parents[2] / "bench" / "run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
