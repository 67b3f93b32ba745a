"""Browser journeys: Playwright drives Debian's Chromium against real processes.

The session starts its own database (seeded with ``seed_demo``), a web
server, a Celery worker and beat, exactly as ``make demo`` runs them, and
saves screenshots of each journey's key steps under ``test-artifacts/e2e``.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.e2e

try:  # `make e2e` installs Playwright; `make test` does not need it.
    import playwright  # noqa: F401
except ImportError:
    collect_ignore_glob = ["test_*.py"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(tmp: Path) -> str:
    """A fresh database for the session: PostgreSQL when CI gives one, else SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        name = f"newsroom_e2e_{uuid.uuid4().hex[:8]}"
        base, _, _ = url.rpartition("/")
        subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        return f"{base}/{name}"
    return f"sqlite:///{tmp / 'e2e.sqlite3'}"


def _drop_database(url: str) -> None:
    if url.startswith("postgres"):
        base, _, name = url.rpartition("/")
        subprocess.run(
            ["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
            check=False,
        )


class Site:
    """The running product: web, worker and beat processes on one database."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = _database_url(tmp)
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "NEWSROOM_VAR_DIR": str(tmp / "var"),
            "MEDIA_ROOT": str(tmp / "media"),
            "CELERY_BROKER_DIR": str(tmp / "broker"),
            "CELERY_TASK_DEFAULT_QUEUE": f"e2e-{uuid.uuid4().hex[:8]}",
            # Never read pages an earlier run left in a shared Redis.
            "CACHE_KEY_PREFIX": f"e2e-{uuid.uuid4().hex[:8]}",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "NEWSROOM_TESTING": "0",
            "DEBUG": "1",
        }
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=600,
        )

    def query(self, code: str) -> str:
        """Run Python in a Django shell on the site's database; return what it prints."""
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result.stdout.strip()

    def article_urls(self, access_level: str, count: int, *, paragraphs: int = 0) -> list[str]:
        """The newest ``count`` live articles of ``access_level`` (with at least
        ``paragraphs`` paragraphs: other journeys publish short stories)."""
        code = (
            "from articles.models import Article\n"
            f"qs = Article.objects.published().filter(access_level={access_level!r})\n"
            "qs = [a for a in qs.order_by('-published_at')"
            f" if a.body.count('<p>') + a.body.count('<p ') >= {paragraphs}]\n"
            f"print('\\n'.join(a.get_absolute_url() for a in qs[:{count}]))"
        )
        return [self.url + path for path in self.query(code).splitlines()]

    def start(self, name: str, *command: str) -> None:
        log = self.tmp / f"{name}.log"
        self.logs.append(log)
        self.processes.append(
            subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT
            )
        )

    def up(self) -> "Site":
        self.manage("migrate", "--noinput")
        self.manage("seed_demo", "--articles", "60", "--business", "none")
        python = sys.executable
        self.start("web", python, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload")
        self.start(
            "worker",
            python,
            "-m",
            "celery",
            "-A",
            "newsroom",
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
            "-Q",
            self.env["CELERY_TASK_DEFAULT_QUEUE"],
        )
        self.start(
            "beat",
            python,
            "-m",
            "celery",
            "-A",
            "newsroom",
            "beat",
            "--loglevel=INFO",
            "-s",
            str(self.tmp / "beat-schedule"),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the site did not come up:\n" + self.tail())

    def tail(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.logs)

    def down(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        _drop_database(self.database_url)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    running = Site(tmp_path_factory.mktemp("e2e")).up()
    yield running
    running.down()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make e2e` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def shot(request):
    """``shot(page, "step")`` saves a screenshot named after the test and the step."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def take(page, step: str) -> Path:
        path = folder / f"{next(counter):02d}-{step}.png"
        # A click that submits a form returns once the next page is on its
        # way; Chromium cannot capture a page still loading.
        page.wait_for_load_state()
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
