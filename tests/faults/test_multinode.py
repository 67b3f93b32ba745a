"""Two web nodes, one truth: what a reader sees does not depend on which node answers.

Two gunicorn processes on their own loopback ports share the PostgreSQL test
database and one Redis (page cache, sessions' cache, reader records), with one
Celery worker and beat on the same broker, as a deployment behind a load
balancer runs them. The test shows, in one run of those processes (under 90 s):

1. a publish purges both nodes: pages warmed on each (``X-Page-Cache: hit``)
   show the new story on both once an editor publishes it in the admin on
   node A, and the worker ran the pipeline's purge;
2. sessions and the meter are shared: a reader logged in on A reads metered
   articles alternately on A and B and the count the page shows
   (``data-meter-left``) drops by exactly one per new article and not for a
   re-read; an anonymous reader's meter cookie from A counts on B too;
3. an entitlement change reaches both at once: after staff comp the reader
   an ad-free plan, neither node shows an ad slot; after a premium plan, both
   show the premium text;
4. losing a node loses nothing the other could serve: a burst of requests
   alternating A and B, node B killed (SIGKILL, master and workers) in the
   middle; every request to A succeeds and nothing answers 5xx.

It needs PostgreSQL and Redis (``.ci/run`` starts both) and is skipped without.
"""

import re
import threading
import time
import uuid
from collections import Counter
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from articles.models import Article
from publishing.models import SideEffectRun
from subscriptions.services import staff as subscriptions
from tests.conftest import requires_postgres, requires_redis, wait_for
from tests.factories import ArticleFactory, PlanFactory, SectionFactory, UserFactory
from tests.publishing.conftest import start_beat, start_worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    requires_postgres,
    requires_redis,
]

PASSWORD = "newsroom-test"  # noqa: S105 - the factories' test password
SECRET = "RAHASIA-PARAGRAF-TIGA"  # past the teaser of every factory article
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) multinode-test"
METER_LEFT = re.compile(r'data-meter-left="(\d+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One reader's browser: a cookie jar it carries to whichever node it asks."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, node, method: str, path: str, form: dict | None = None):
        connection = HTTPConnection("127.0.0.1", node.port, timeout=30)
        headers = {"User-Agent": USER_AGENT, "Host": f"127.0.0.1:{node.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response, text

    def get(self, node, path: str):
        response, text = self.request(node, "GET", path)
        assert response.status == 200, (node.name, path, response.status, text[:500])
        return response, text

    def log_in(self, node, path: str, username: str) -> None:
        _, page = self.get(node, path)
        token = CSRF_FIELD.search(page).group(1)
        form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        response, text = self.request(node, "POST", path, form)
        assert response.status == 302, (response.status, text[:500])
        assert "sessionid" in self.cookies


def _meter_left(page: str) -> int:
    found = METER_LEFT.search(page)
    assert found, "no meter notice on a metered article"
    return int(found.group(1))


@pytest.fixture
def cluster(start_web_server, tmp_path):
    """Nodes A and B, a worker and a beat, all on one database, one Redis and one broker.

    The test process joins the same cache (its signals forget pages and reader
    records exactly where the nodes look), under a prefix no other run uses.
    """
    shared = {"REDIS_URL": settings.REDIS_URL, "CACHE_KEY_PREFIX": f"multi-{uuid.uuid4().hex[:8]}"}
    cache = {
        "default": {
            "BACKEND": "newsroom.cache_backends.TolerantRedisCache",
            "LOCATION": shared["REDIS_URL"],
            "KEY_PREFIX": shared["CACHE_KEY_PREFIX"],
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    processes = []
    with override_settings(CACHES=cache):
        try:
            nodes = []
            for name in ("node-a", "node-b"):  # their workers boot while Celery starts
                node = start_web_server(name=name, workers=2, threads=4, **shared)
                node.name = name
                nodes.append(node)
            processes.append(start_worker(tmp_path / "worker.log", **shared))
            processes.append(start_beat(tmp_path, **shared))
            for node in nodes:  # the workers have booted and reach the database
                wait_for(lambda node=node: node.get("/healthz")[0] == 200, timeout=30)
            yield nodes
        finally:
            for process in processes:
                process.stop()


def _seed():
    section = SectionFactory(slug="dua-node", name="Dua Node")
    metered = [
        ArticleFactory(section=section, access_level="metered", slug=f"meter-{i}") for i in range(6)
    ]
    premium = ArticleFactory(section=section, access_level="premium", slug="premium-dua-node")
    free = ArticleFactory(section=section, slug="gratis-dua-node")
    UserFactory(username="redaktur", role="Editor")
    staff = UserFactory(username="staf", role="Subscription staff")
    reader = UserFactory(username="pembaca", email="pembaca@dua-node.test")
    plans = {code: PlanFactory(code=code, name=code) for code in ("adfree", "premium")}
    return metered, premium, free, staff, reader, plans


def test_two_nodes_share_publishing_sessions_meter_and_entitlements_and_survive_a_kill(cluster):
    started = time.monotonic()
    a, b = cluster
    metered, premium, free, staff, reader, plans = _seed()

    # --- 1. A publish purges both nodes ------------------------------------------------
    draft = ArticleFactory(
        section=free.section,
        status=Article.Status.DRAFT,
        published_at=None,
        headline="Dua Node Melihat Berita yang Sama",
        slug="dua-node-melihat-berita-yang-sama",
    )
    anonymous = Browser()
    for path in ("/", free.get_absolute_url()):
        anonymous.get(a, path)  # built on A ...
        for node in (b, a):  # ... and served from the shared cache by both
            response, page = anonymous.get(node, path)
            assert response.getheader("X-Page-Cache") == "hit", (node.name, path)
            assert draft.headline not in page
    desk = Browser()
    desk.log_in(a, "/admin/login/?next=/admin/", "redaktur")
    _, changelist = desk.get(a, "/admin/articles/article/")
    form = {
        "csrfmiddlewaretoken": CSRF_FIELD.search(changelist).group(1),
        "action": "publish_selected",
        "_selected_action": str(draft.pk),
        "index": "0",
    }
    response, _ = desk.request(a, "POST", "/admin/articles/article/", form)
    assert response.status == 302
    assert Article.objects.get(pk=draft.pk).status == Article.Status.PUBLISHED

    def both_show_it():
        return all(draft.headline in anonymous.get(node, "/")[1] for node in (a, b))

    published = time.monotonic()
    wait_for(both_show_it, timeout=15, interval=0.3)
    print(f"on both home pages {time.monotonic() - published:.1f} s after the publish")
    wait_for(
        lambda: SideEffectRun.objects.filter(
            article=draft, effect="purge_caches", status="done"
        ).exists(),
        timeout=20,
    )

    # --- 2. One session and one meter, whichever node answers ---------------------------
    browser = Browser()
    browser.log_in(a, "/akun/masuk/", "pembaca")
    assert reader.email in browser.get(b, "/akun/")[1]  # node B knows the session
    lefts = []
    for number, node in enumerate((a, b, a, b)):
        lefts.append(_meter_left(browser.get(node, metered[number].get_absolute_url())[1]))
    first = lefts[0]
    assert lefts == [first, first - 1, first - 2, first - 3]
    # Re-reads are free on either node: the count stays where it is.
    assert _meter_left(browser.get(b, metered[0].get_absolute_url())[1]) == first - 3
    assert _meter_left(browser.get(a, metered[1].get_absolute_url())[1]) == first - 3

    stranger = Browser()  # anonymous: the meter id lives in a signed cookie
    left = _meter_left(stranger.get(a, metered[0].get_absolute_url())[1])
    assert stranger.cookies, "no meter cookie issued"
    assert left + 2 <= len(metered), "the anonymous allowance outgrew this test"
    nodes = [b, a]
    for number in range(1, left + 1):
        page = stranger.get(nodes[number % 2], metered[number].get_absolute_url())[1]
        assert _meter_left(page) == left - number
    assert _meter_left(stranger.get(b, metered[0].get_absolute_url())[1]) == 0  # a re-read
    _, page = stranger.get(a, metered[left + 1].get_absolute_url())
    assert 'data-paywall="meter_exhausted"' in page
    assert SECRET not in page

    # --- 3. Entitlement changes reach both nodes at once --------------------------------
    for node in (a, b):
        assert "data-ad-slot" in browser.get(node, "/")[1], node.name
    now = timezone.now()
    comp = subscriptions.staff_comp(
        user=reader, plan=plans["adfree"], days=30, actor=staff, reason="uji dua node", now=now
    )
    for node in (a, b):  # no wait: the very next page on either node has no ads
        assert "data-ad-slot" not in browser.get(node, "/")[1], node.name
        page = browser.get(node, premium.get_absolute_url())[1]
        assert "data-ad-slot" not in page, node.name
        assert SECRET not in page, node.name  # ad-free is not premium
    # Taking it back reaches both just as fast: the ads return on the next page.
    subscriptions.staff_cancel(subscription_id=comp.pk, actor=staff, reason="uji dua node", now=now)
    for node in (a, b):
        assert "data-ad-slot" in browser.get(node, "/")[1], node.name
    subscriptions.staff_comp(
        user=reader, plan=plans["premium"], days=30, actor=staff, reason="uji dua node", now=now
    )
    for node in (a, b):
        page = browser.get(node, premium.get_absolute_url())[1]
        assert SECRET in page, node.name
        assert "data-ad-slot" not in page, node.name

    # --- 4. Node B dies mid-burst; node A answers every request sent to it --------------
    paths = ["/", free.get_absolute_url(), premium.get_absolute_url(), "/langganan/"]
    outcomes = _burst(a, b, paths, browsers=[anonymous, browser], kill_after=40)
    to_a = [o for o in outcomes if o["node"] == "node-a"]
    to_b = [o for o in outcomes if o["node"] == "node-b"]
    assert Counter(o["status"] for o in to_a) == Counter({200: len(to_a)}), to_a[:5]
    assert len([o for o in to_a if o["after_kill"]]) >= 20, "node A was barely asked after"
    # B answered 200 while it lived (a request in flight at the kill may break off
    # unanswered), and after the kill no request to B gets any answer at all:
    # refused, or reset by a worker that was still dying.
    assert {o["status"] for o in to_b if isinstance(o["status"], int)} == {200}
    after = Counter(o["status"] for o in to_b if o["after_kill"])
    assert after
    assert not [status for status in after if isinstance(status, int)], after
    assert "Traceback" not in a.output()
    burst = Counter((o["node"], o["after_kill"], o["status"]) for o in outcomes)
    print(f"multi-node run: {time.monotonic() - started:.1f} s; burst {dict(burst)}")


def _burst(a, b, paths, *, browsers, kill_after: int, per_thread: int = 40) -> list[dict]:
    """Readers alternate A and B; B is killed once ``kill_after`` requests have answered."""
    outcomes: list[dict] = []
    lock = threading.Lock()
    killed = threading.Event()

    def read(browser: Browser, offset: int):
        for number in range(per_thread):
            node = (a, b)[(number + offset) % 2]
            path = paths[(number + offset) % len(paths)]
            after_kill = killed.is_set()
            try:
                response, _ = browser.request(node, "GET", path)
                status = response.status
            except Exception as error:  # noqa: BLE001 - any failure is an outcome to count
                status = type(error).__name__
            with lock:
                outcomes.append(
                    {"node": node.name, "path": path, "status": status, "after_kill": after_kill}
                )
                answered = len(outcomes)
            if answered == kill_after:
                b.kill()
                killed.set()

    threads = [
        threading.Thread(target=read, args=(browser, offset), daemon=True)
        for offset, browser in enumerate([*browsers, Browser(), Browser()])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "burst still running"
    assert killed.is_set()
    return outcomes
