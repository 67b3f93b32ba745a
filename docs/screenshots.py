"""Screenshots of the revenue desk for the README, from a freshly seeded demo.

    .venv/bin/python docs/screenshots.py        # `make screenshots`

Seeds a new SQLite database with the full demo business (``seed_demo``),
starts the site, signs in as ``subs`` and saves each desk page, and the running
experiment's page, as ``docs/revenue-*.png`` (Debian's Chromium, like
``make e2e``).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PAGES = ["overview", "subscribers", "cohorts", "funnel", "articles", "whatif", "timeline"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="newsroom-shots-"))
    port = _port()
    env = {
        **os.environ,
        "NEWSROOM_VAR_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp / "media"),
        "CACHE_KEY_PREFIX": f"shots-{port}",
        "DEBUG": "1",
        "NEWSROOM_TESTING": "0",
    }

    def manage(*args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603 - our manage.py

    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo")
    web = subprocess.Popen(  # noqa: S603 - our manage.py
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 - our own server
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="id-ID")
            page.goto(f"{url}/admin/login/")
            page.fill("#id_username", "subs")
            page.fill("#id_password", "newsroom-demo")
            page.locator("#login-form [type=submit]").click()
            page.wait_for_load_state()
            for slug in PAGES:
                path = "" if slug == "overview" else f"{slug}/"
                page.goto(f"{url}/admin/revenue/{path}")
                page.screenshot(path=str(DOCS / f"revenue-{slug}.png"), full_page=True)
            page.goto(f"{url}/admin/paywall/experiment/?status__exact=running")
            page.locator("#result_list tbody tr th a").first.click()
            page.screenshot(path=str(DOCS / "revenue-experiment.png"), full_page=True)
            browser.close()
    finally:
        web.terminate()
        web.wait(timeout=10)
    print("saved", ", ".join(f"revenue-{slug}.png" for slug in [*PAGES, "experiment"]))


if __name__ == "__main__":
    main()
