"""A bounded loopback load test: 50 concurrent readers, ~2,000 requests, a real gunicorn.

Mixed anonymous readers, registered readers and premium subscribers read the
home page, free, metered and premium articles, the plans page and their
account. It passes when nothing answers 5xx and no reader ever receives text
or account data that belongs to someone else (no timing is asserted).
"""

import random
import threading
from collections import Counter
from http.client import HTTPConnection
from http.cookies import SimpleCookie

from django.test import Client

from articles.models import Article
from tests.factories import (
    ArticleFactory,
    PlanFactory,
    SectionFactory,
    SubscriptionFactory,
    UserFactory,
)

SECRET = "RAHASIA-PARAGRAF-TIGA"  # a premium article's hidden paragraph (the factory's body)
THREADS = 50
REQUESTS_PER_THREAD = 40
SUBSCRIBERS = 10
REGISTERED = 10


class Reader(threading.Thread):
    """One reader's browser: a keep-alive connection and a cookie jar."""

    def __init__(self, *, port, kind, email, cookies, paths, others, seed):
        super().__init__(daemon=True)
        self.port, self.kind, self.email = port, kind, email
        self.cookies = dict(cookies)
        self.paths, self.others = paths, others
        self.random = random.Random(seed)
        self.statuses: Counter = Counter()
        self.problems: list[str] = []

    def run(self):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
        for _ in range(REQUESTS_PER_THREAD):
            kind, path = self.random.choice(self.paths[self.kind])
            try:
                status, body = self._get(connection, path)
            except OSError as exc:  # a dropped keep-alive: count it, reconnect
                self.problems.append(f"{path}: {exc.__class__.__name__}")
                connection.close()
                connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.statuses[status] += 1
            self._check(kind, path, status, body)
        connection.close()

    def _get(self, connection, path):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return response.status, body

    def _check(self, kind, path, status, body):
        if status >= 500:
            self.problems.append(f"{self.kind} {path}: {status}")
        leaked = [email for email in self.others if email in body]
        if leaked:
            self.problems.append(f"{self.kind} {path}: shows {leaked}")
        if kind == "premium":
            if self.kind == "subscriber" and SECRET not in body:
                self.problems.append(f"subscriber {path}: premium text missing")
            if self.kind != "subscriber" and SECRET in body:
                self.problems.append(f"{self.kind} {path}: premium text leaked")
        if kind == "account" and self.email not in body:
            self.problems.append(f"{self.kind} {path}: not their own account page")


def _seed():
    plan = PlanFactory(code="premium", name="Premium")
    section = SectionFactory(slug="beban")
    articles = {
        level: [
            ArticleFactory(section=section, access_level=level, slug=f"beban-{level}-{i}")
            for i in range(4)
        ]
        for level in Article.AccessLevel.values
    }
    subscribers = [
        SubscriptionFactory(
            plan=plan, user=UserFactory(username=f"langganan{i}", email=f"langganan{i}@beban.test")
        ).user
        for i in range(SUBSCRIBERS)
    ]
    registered = [
        UserFactory(username=f"terdaftar{i}", email=f"terdaftar{i}@beban.test")
        for i in range(REGISTERED)
    ]
    return articles, subscribers, registered


def _session_cookie(user) -> dict:
    client = Client()
    client.force_login(user)
    return {"sessionid": client.cookies["sessionid"].value}


def test_fifty_concurrent_readers_get_no_5xx_and_only_their_own_content(start_web_server):
    articles, subscribers, registered = _seed()
    server = start_web_server()
    pages = [("page", "/"), ("page", "/langganan/")]
    pages += [(level, a.get_absolute_url()) for level, items in articles.items() for a in items]
    paths = {
        "anonymous": pages,
        "registered": [*pages, ("account", "/akun/")],
        "subscriber": [*pages, ("account", "/akun/")],
    }
    everyone = [u.email for u in subscribers + registered]
    readers = []
    for index in range(THREADS):
        if index < SUBSCRIBERS:
            user, kind = subscribers[index], "subscriber"
        elif index < SUBSCRIBERS + REGISTERED:
            user, kind = registered[index - SUBSCRIBERS], "registered"
        else:
            user, kind = None, "anonymous"
        readers.append(
            Reader(
                port=server.port,
                kind=kind,
                email=user.email if user else "",
                cookies=_session_cookie(user) if user else {},
                paths=paths,
                others=[e for e in everyone if user is None or e != user.email],
                seed=index,
            )
        )
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=240)
    assert not any(reader.is_alive() for reader in readers), "readers still running"

    statuses = sum((reader.statuses for reader in readers), Counter())
    problems = [problem for reader in readers for problem in reader.problems]
    assert sum(statuses.values()) == THREADS * REQUESTS_PER_THREAD, statuses
    assert problems == [], problems[:20]
    assert set(statuses) <= {200, 301, 302}, statuses
    assert "Traceback" not in server.output()
