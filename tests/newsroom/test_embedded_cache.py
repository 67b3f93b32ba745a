"""The embedded demo (no Redis) shares one cache between its web and worker processes."""

import subprocess
import sys

from tests.conftest import ROOT


def _in_a_process(code: str, var_dir) -> str:
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "NEWSROOM_TESTING": "0",
        "DEBUG": "1",
        "NEWSROOM_VAR_DIR": str(var_dir),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_purge_in_the_worker_reaches_the_web_process_without_redis(tmp_path):
    # The worker purges the lists after publishing a scheduled story; the web
    # process must see the new token, or it serves the old home page until
    # its own copy expires (minutes, with the story missing).
    purged = _in_a_process(
        "from django.core.cache import cache\n"
        "from pagecache import store as pages\n"
        "pages.purge_lists()\n"
        "print(cache.get(pages.LISTS))",
        tmp_path,
    )
    seen = _in_a_process(
        "from django.core.cache import cache\n"
        "from pagecache import store as pages\n"
        "print(cache.get(pages.LISTS))",
        tmp_path,
    )
    assert purged not in ("", "None")
    assert seen == purged
