"""Acceptance test of "One paywall policy, one cache policy" (DESIGN.md §3).

Every kind of reader asks for an article of every access level on every
surface that can show it, through real URLs only: the article page (also under
``/en/`` and with ``?print=1``), its JSON-LD and meta tags, the API detail,
list and search, the site search, the site, section and topic feeds, the
home, section, topic and author pages, the sitemaps, and the staff preview.
Each combination runs with the cache cold (cleared before every request) and
warm (never cleared; every page the page cache keeps is asked twice and must
answer the second time from the cache, ``X-Page-Cache: hit``, with the same
decision as the first).

Each article carries two secret words after its teaser (the first two blocks),
so any text beyond the teaser is visible in a response. Three rules hold:

1. every surface reaches the one decision for (reader, article) given in
   ``EXPECTED`` (the page's ``data-paywall`` and ``data-meter-left``, the API's
   ``access``, full text or teaser); lists, feeds, sitemaps and search never
   spend a meter read, and feeds, lists and sitemaps carry no more than the
   teaser of a non-free article whoever asks;
2. a response that carries text beyond the teaser of a non-free article, or
   whose content depends on one reader's meter (the page and API detail of a
   metered article), is ``private``/``no-store``, never ``public``;
3. no text beyond the teaser reaches a reader who is not entitled to it.

An embargoed article (published, ``embargo_until`` ahead) and an expired one
(``expires_at`` past) are 404 on the page and the API detail and absent from
every list, feed, sitemap and search; both are free, so any slip would show
their whole body.

Only real URLs and settings are used (no application module is imported), so
the test survives moving the paywall, the reader views and the page cache.
"""

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from articles.models import Article
from tests.conftest import clear_caches
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    PlanFactory,
    SectionFactory,
    SubscriptionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SOME_BOT = "Mozilla/5.0 (compatible; SomeBot/1.0; +http://example.com/bot)"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def verified_crawler(request) -> bool:
    """``PAYWALL_CRAWLER_VERIFIER`` for the verified crawler: everyone who asks is proven."""
    return True


# --- The articles ---------------------------------------------------------------

LEVELS = ["free", "registered", "metered", "premium"]
HIDDEN = ["embargoed", "expired"]  # both free: a slip would show the whole body


def secret_words(name: str) -> tuple[str, str]:
    """Two words found only after the teaser of one article (plain letters: they
    survive full-text stemming and are searchable as single terms)."""
    word = "".join(c for c in name if c.isalpha())
    return f"qvzrahasia{word}tiga", f"qvzrahasia{word}empat"


def headline_word(name: str) -> str:
    return "qvzjudul" + "".join(c for c in name if c.isalpha())


@dataclass(frozen=True)
class Item:
    """One article of the matrix, with its addresses worked out once."""

    name: str
    pk: int
    level: str
    live: bool
    headline: str
    dek: str
    slug: str
    url: str
    secrets: tuple[str, str]
    teaser: tuple[str, str]

    def carries_full(self, text: str) -> bool:
        return any(secret in text for secret in self.secrets)


def _body(name: str) -> tuple[str, tuple[str, str], tuple[str, str]]:
    teaser = (f"Pembuka terbuka {name}.", f"Lanjutan terbuka {name}.")
    secrets = secret_words(name)
    body = "\n".join(
        [
            f"<p>{teaser[0]}</p>",
            f"<p>{teaser[1]}</p>",
            f"<p>{secrets[0]} hanya untuk yang berhak.</p>",
            f"<p>Penutup {secrets[1]}.</p>",
        ]
    )
    return body, teaser, secrets


@dataclass(frozen=True)
class World:
    items: dict  # access level (or "embargoed", "expired") -> Item
    fillers: list  # more metered articles, to use up a meter
    section_slug: str
    topic_slug: str
    author_slug: str

    @property
    def everything(self) -> list:
        return [*self.items.values(), *self.fillers]


def _build_world() -> World:
    now = timezone.now()
    section = SectionFactory(slug="matriks-rubrik", name="Matriks Rubrik")
    topic = TopicFactory(slug="matriks-topik", name="Matriks Topik")
    author = AuthorFactory(slug="matriks-penulis", name="Matriks Penulis")

    def make(name: str, level: str, minutes_ago: int, **extra) -> Item:
        body, teaser, secrets = _body(name)
        article = ArticleFactory(
            headline=f"Matriks {headline_word(name)}",
            slug=f"matriks-{name}",
            dek=f"Ringkasan {name}.",
            body=body,
            access_level=level,
            section=section,
            lead_photo=None,
            topics=[topic],
            authors=[author],
            published_at=now - timedelta(minutes=minutes_ago),
            **extra,
        )
        return Item(
            name=name,
            pk=article.pk,
            level=level,
            live=article.is_live(),
            headline=article.headline,
            dek=article.dek,
            slug=article.slug,
            url=article.get_absolute_url(),
            secrets=secrets,
            teaser=teaser,
        )

    items = {level: make(level, level, 10 + i) for i, level in enumerate(LEVELS)}
    items["embargoed"] = make("embargoed", "free", 30, embargo_until=now + timedelta(days=1))
    items["expired"] = make("expired", "free", 31, expires_at=now - timedelta(minutes=1))
    fillers = [make(f"filler{letter}", "metered", 40 + i) for i, letter in enumerate("abc")]
    assert [items[name].live for name in HIDDEN] == [False, False]
    return World(items, fillers, section.slug, topic.slug, author.slug)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The articles, built once for the module inside a transaction rolled back at
    the end (each test's own transaction nests inside it as a savepoint)."""
    with django_db_blocker.unblock(), transaction.atomic():
        with translation.override(settings.LANGUAGE_CODE):  # the Indonesian URLs
            built = _build_world()
        yield built
        transaction.set_rollback(True)


# --- The readers ------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: str
    meter_left: int | None = None

    @property
    def outright(self) -> bool:
        """Granted without spending a meter read (what search may show or match)."""
        return self.granted and self.reason not in ("metered", "crawler")


G, T = True, False  # granted, gated (teaser)

# The one decision for (reader, access level): PAYWALL_METER_ANONYMOUS=3 and
# PAYWALL_METER_REGISTERED=10, the metered article read first on its own page.
EXPECTED = {
    "anonymous": {
        "free": Decision(G, "free"),
        "registered": Decision(T, "registration_required"),
        "metered": Decision(G, "metered", 2),
        "premium": Decision(T, "premium_login"),
    },
    "anonymous_meter_used_up": {
        "free": Decision(G, "free"),
        "registered": Decision(T, "registration_required"),
        "metered": Decision(T, "meter_exhausted", 0),
        "premium": Decision(T, "premium_login"),
    },
    "registered": {
        "free": Decision(G, "free"),
        "registered": Decision(G, "registered"),
        "metered": Decision(G, "metered", 9),
        "premium": Decision(T, "subscription_required"),
    },
    "ad_free": {
        "free": Decision(G, "free"),
        "registered": Decision(G, "registered"),
        "metered": Decision(G, "metered", 9),
        "premium": Decision(T, "upgrade_required"),
    },
    "premium": {
        "free": Decision(G, "free"),
        "registered": Decision(G, "subscriber"),
        "metered": Decision(G, "subscriber"),
        "premium": Decision(G, "subscriber"),
    },
    "staff": {
        "free": Decision(G, "free"),
        "registered": Decision(G, "staff"),
        "metered": Decision(G, "staff"),
        "premium": Decision(G, "staff"),
    },
    "crawler_verified": {
        "free": Decision(G, "free"),
        "registered": Decision(T, "registration_required"),
        "metered": Decision(G, "crawler"),
        "premium": Decision(T, "premium_login"),
    },
    "crawler_unverified": {
        "free": Decision(G, "free"),
        "registered": Decision(T, "registration_required"),
        "metered": Decision(T, "crawler_unverified"),
        "premium": Decision(T, "premium_login"),
    },
    # Claims to be Googlebot, no verifier configured: an anonymous reader like any other.
    "crawler_claim_unproven": {
        "free": Decision(G, "free"),
        "registered": Decision(T, "registration_required"),
        "metered": Decision(G, "metered", 2),
        "premium": Decision(T, "premium_login"),
    },
}
# The staff preview shows an article as a hypothetical reader with a fresh meter.
PREVIEW_EXPECTED = {
    "anonymous": EXPECTED["anonymous"],
    "registered": EXPECTED["registered"],
    "premium": EXPECTED["premium"],
}
READERS = list(EXPECTED)


@pytest.fixture(autouse=True)
def _paywall_settings(settings):
    settings.PAYWALL_METER_ANONYMOUS = 3
    settings.PAYWALL_METER_REGISTERED = 10
    settings.PAYWALL_CRAWLER_VERIFIER = ""
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture(autouse=True)
def _default_language():
    """A request under /en/ leaves English active in the test thread; put it back."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def reader_client(kind: str, world: World, settings) -> Client:
    """A client that is this kind of reader (cookies and user agent included)."""
    client = Client(HTTP_USER_AGENT=BROWSER)
    if kind == "anonymous_meter_used_up":
        for filler in world.fillers:
            page = client.get(filler.url)
            assert filler.carries_full(page.content.decode()), "a free read was refused"
        assert 'data-meter-left="0"' in page.content.decode()
    elif kind == "registered":
        client.force_login(UserFactory(username="matriks-terdaftar"))
    elif kind == "ad_free":
        plan = PlanFactory(code="adfree", name="Bebas Iklan")
        client.force_login(SubscriptionFactory(plan=plan).user)
    elif kind == "premium":
        client.force_login(SubscriptionFactory(plan=PlanFactory(code="premium")).user)
    elif kind == "staff":
        client.force_login(UserFactory(username="matriks-staf", is_staff=True))
    elif kind == "crawler_verified":
        settings.PAYWALL_CRAWLER_VERIFIER = f"{__name__}.verified_crawler"
        client.defaults["HTTP_USER_AGENT"] = GOOGLEBOT
    elif kind == "crawler_unverified":
        client.defaults["HTTP_USER_AGENT"] = SOME_BOT
    elif kind == "crawler_claim_unproven":
        client.defaults["HTTP_USER_AGENT"] = GOOGLEBOT
    return client


# --- Reading responses ------------------------------------------------------------------


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def meta_content(html: str, key: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    return match.group(1) if match else None


def cache_control(response) -> str:
    return response.get("Cache-Control", "")


def is_private(response) -> bool:
    value = cache_control(response).lower()
    return ("private" in value or "no-store" in value) and "public" not in value


def page_view(response, item: Item) -> dict:
    """The decision an HTML article page shows."""
    html = response.content.decode()
    gate = re.search(r'data-paywall="([^"]*)"', html)
    left = re.search(r'data-meter-left="(\d+)"', html)
    return {
        "status": response.status_code,
        "reason": gate.group(1) if gate else None,
        "meter_left": int(left.group(1)) if left else None,
        "full": item.carries_full(html),
    }


def expected_page(decision: Decision) -> dict:
    return {
        "status": 200,
        "reason": None if decision.granted else decision.reason,
        "meter_left": decision.meter_left
        if decision.granted and decision.reason == "metered"
        else None,
        "full": decision.granted,
    }


def api_view(response, item: Item) -> dict:
    data = response.json()
    return {
        "status": response.status_code,
        "access": data.get("access"),
        "full": item.carries_full(data.get("body", "")),
    }


def expected_api(decision: Decision) -> dict:
    return {
        "status": 200,
        "access": {
            "granted": decision.granted,
            "reason": decision.reason,
            "meter_left": decision.meter_left,
        },
        "full": decision.granted,
    }


def head_problems(html: str, item: Item, where: str) -> list[str]:
    """JSON-LD and meta tags: never body text; honest about the paywall."""
    problems = []
    if item.carries_full(html.split("</head>", 1)[0]):
        problems.append(f"{where}: body text in <head>")
    for key in ("description", "og:description", "twitter:description"):
        if meta_content(html, key) != item.dek:
            problems.append(f"{where}: {key} is {meta_content(html, key)!r}")
    (data,) = json_ld(html)
    free = item.level == "free"
    if data["isAccessibleForFree"] is not free:
        problems.append(f"{where}: JSON-LD isAccessibleForFree={data['isAccessibleForFree']}")
    gated_part = {
        "@type": "WebPageElement",
        "isAccessibleForFree": False,
        "cssSelector": ".article-gated",
    }
    if data.get("hasPart") != (None if free else gated_part):
        problems.append(f"{where}: JSON-LD hasPart={data.get('hasPart')}")
    if not free and not re.search(r'class="[^"]*\barticle-gated\b', html):
        problems.append(f"{where}: hasPart names no element of the page")
    return problems


def api_search_view(item: Item):
    def view(response):
        found = [r for r in response.json()["items"] if r["article"]["id"] == item.pk]
        return {"found": bool(found), "full": item.carries_full(json.dumps(found))}

    return view


def api_search_region(response) -> str:
    return json.dumps(response.json()["items"])  # not "query": it echoes the words


def site_search_region(response) -> str:
    """The results of a search page (the page also echoes the query)."""
    match = re.search(r'<ol class="results">(.*?)</ol>', response.content.decode(), re.S)
    return match.group(1) if match else ""


def site_search_view(item: Item):
    def view(response):
        results = site_search_region(response)
        return {"found": f"/{item.pk}/{item.slug}/" in results, "full": item.carries_full(results)}

    return view


def reader_entitled(reader: str, item: Item, world: World) -> bool:
    """Whether this reader may see the whole of ``item`` (on the article's own page)."""
    if not item.live:
        return False
    if reader == "anonymous_meter_used_up" and item in world.fillers:
        return True  # read (and counted) before the test began
    return EXPECTED[reader][item.level].granted


class Walk:
    """Asks one reader's URLs, cold or warm, and checks rules 2 and 3 for every
    article of the world on every response. Failures are collected, so one run
    lists everything that is wrong for this (reader, article)."""

    def __init__(self, client: Client, world: World, *, entitled, warm: bool):
        self.client = client
        self.world = world
        self.entitled = entitled  # Item -> bool
        self.warm = warm
        self.failures: list[str] = []

    def expect(self, ok: bool, message: str) -> None:
        if not ok and message not in self.failures:
            self.failures.append(message)

    def finish(self) -> None:
        if self.failures:
            pytest.fail("\n".join(self.failures), pytrace=False)

    def get(self, url: str, *, view, region=None, page_cached: bool = False):
        """The response the reader gets and what it shows.

        Cold: the cache is cleared first. Warm: the cache is never cleared in the
        test; a page the page cache keeps is asked twice, and the second answer
        must come from the cache with the same decision as the first.
        """
        if not self.warm:
            clear_caches()
            response = self.client.get(url)
            self.check(url, response, region, "cold")
            return response, view(response)
        if not page_cached:
            response = self.client.get(url)
            self.check(url, response, region, "warm")
            return response, view(response)
        first = self.client.get(url)
        self.check(url, first, region, "fill")
        response = self.client.get(url)
        self.check(url, response, region, "warm")
        if response.status_code == 200:
            self.expect(
                response.get("X-Page-Cache") == "hit",
                f"{url}: the warm request did not come from the page cache",
            )
        self.expect(
            view(response) == view(first),
            f"{url}: the cached answer differs: {view(first)} then {view(response)}",
        )
        return response, view(response)

    def check(self, url: str, response, region, when: str) -> None:
        text = region(response) if region else response.content.decode()
        for item in self.world.everything:
            if not item.carries_full(text):
                continue
            where = f"{url} [{when}, Cache-Control: {cache_control(response)!r}]"
            # Rule 3: text beyond the teaser only for a reader entitled to it.
            self.expect(
                item.level == "free" and item.live or self.entitled(item),
                f"{where}: text beyond the teaser of the {item.name} article, not entitled",
            )
            # Rule 2: such text is never in a shareable response.
            if item.level != "free":
                self.expect(
                    is_private(response),
                    f"{where}: text beyond the teaser of the {item.name} article, not private",
                )


def _expect_private(walk: Walk, url: str, response, why: str) -> None:
    walk.expect(
        is_private(response),
        f"{url}: {why} but Cache-Control is {cache_control(response)!r}",
    )


# --- The matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("cache_state", ["cold", "warm"])
@pytest.mark.parametrize("level", LEVELS + HIDDEN)
@pytest.mark.parametrize("reader", READERS)
def test_article_surfaces_give_one_decision(world, settings, reader, level, cache_state):
    """The page (id, /en/, print), its JSON-LD and meta tags, the API detail and
    both searches agree on the decision for this reader and article."""
    item = world.items[level]
    live = item.live
    decision = EXPECTED[reader][item.level] if live else None
    walk = Walk(
        reader_client(reader, world, settings),
        world,
        entitled=lambda other: reader_entitled(reader, other, world),
        warm=cache_state == "warm",
    )

    for url in (item.url, f"/en{item.url}", f"{item.url}?print=1"):
        response, seen = walk.get(url, view=lambda r: page_view(r, item), page_cached=True)
        if not live:
            walk.expect(seen["status"] == 404, f"{url}: {seen['status']}, not 404")
            continue
        walk.expect(seen == expected_page(decision), f"{url}: shows {seen}")
        html = response.content.decode()
        walk.expect(all(part in html for part in item.teaser), f"{url}: no teaser")
        walk.failures.extend(head_problems(html, item, url))
        if item.level == "metered":
            _expect_private(walk, url, response, "a metered article's page")

    url = f"{API}/articles/{item.pk}"
    response, seen = walk.get(url, view=lambda r: api_view(r, item))
    if not live:
        walk.expect(seen["status"] == 404, f"{url}: {seen['status']}, not 404")
    else:
        walk.expect(seen == expected_api(decision), f"{url}: answers {seen}")
        walk.expect(all(part in response.json()["body"] for part in item.teaser), f"{url}: teaser")
        if item.level == "metered":
            _expect_private(walk, url, response, "a metered article's API detail")

    # Search never spends a meter read: its snippet shows the whole text only where
    # the decision grants it outright, and body words find an article only there.
    # (A verified crawler's grant on a metered article may go either way.)
    must = decision is not None and decision.outright
    may = decision is not None and decision.granted and decision.reason != "metered"
    for query, by_body in ((headline_word(item.name), False), (item.secrets[0], True)):
        for url, view, region in (
            (f"{API}/search?q={query}", api_search_view(item), api_search_region),
            (f"/search/?q={query}", site_search_view(item), site_search_region),
        ):
            _, seen = walk.get(url, view=view, region=region)
            if not live:
                walk.expect(not seen["found"], f"{url}: finds an article that is not live")
                continue
            if by_body:
                walk.expect(seen["found"] in {must, may}, f"{url}: found={seen['found']}")
            else:
                walk.expect(seen["found"], f"{url}: does not find the headline")
            if seen["found"]:
                walk.expect(seen["full"] in {must, may}, f"{url}: snippet full={seen['full']}")
    walk.finish()


@pytest.mark.parametrize("cache_state", ["cold", "warm"])
@pytest.mark.parametrize("reader", READERS)
def test_list_surfaces_carry_teasers_and_spend_no_meter(world, settings, reader, cache_state):
    """API list, feeds, home/section/topic/author pages and sitemaps list exactly the
    live articles, never more than a non-free article's teaser, and spend nothing."""
    walk = Walk(
        reader_client(reader, world, settings),
        world,
        entitled=lambda other: reader_entitled(reader, other, world),
        warm=cache_state == "warm",
    )
    articles = world.everything

    def api_list(response):
        ids = {card["id"] for card in response.json()["items"]}
        text = response.content.decode()
        return {a.name: (a.pk in ids, a.carries_full(text)) for a in articles}

    def feed(response):
        xml = response.content.decode()
        return {a.name: (a.headline in xml, a.carries_full(xml)) for a in articles}

    def listing(response):
        html = response.content.decode()
        return {a.name: (f"/{a.pk}/{a.slug}/" in html, a.carries_full(html)) for a in articles}

    def cards_only(a):
        return (a.live, False)

    def feed_item(a):
        return (a.live, a.live and a.level == "free")

    surfaces = [  # page-cached ones first, so that the warm run warms the rest
        ("/", listing, cards_only, True),
        (f"/rubrik/{world.section_slug}/", listing, cards_only, True),
        (f"/topik/{world.topic_slug}/", listing, cards_only, True),
        (f"/penulis/{world.author_slug}/", listing, cards_only, True),
        (f"{API}/articles?limit=50", api_list, cards_only, False),
        ("/rss/", feed, feed_item, False),
        (f"/rss/rubrik/{world.section_slug}/", feed, feed_item, False),
        (f"/rss/topik/{world.topic_slug}/", feed, feed_item, False),
        ("/sitemap-articles.xml", listing, cards_only, False),
        ("/sitemap-news.xml", listing, cards_only, False),
        ("/sitemap.xml", listing, lambda a: (False, False), False),
    ]
    for url, view, expected, page_cached in surfaces:
        response, seen = walk.get(url, view=view, page_cached=page_cached)
        walk.expect(response.status_code == 200, f"{url}: {response.status_code}")
        for article in articles:
            walk.expect(
                seen[article.name] == expected(article),
                f"{url}: the {article.name} article is (listed, full)={seen[article.name]}",
            )

    # Nothing above spent a read: the metered article still opens as it would have.
    metered = world.items["metered"]
    _, seen = walk.get(metered.url, view=lambda r: page_view(r, metered), page_cached=True)
    expected = expected_page(EXPECTED[reader]["metered"])
    walk.expect(seen == expected, f"after the lists, {metered.url} shows {seen}")
    walk.finish()


@pytest.mark.parametrize("cache_state", ["cold", "warm"])
@pytest.mark.parametrize("level", LEVELS + HIDDEN)
@pytest.mark.parametrize("as_reader", list(PREVIEW_EXPECTED))
def test_staff_preview_gives_the_same_decision(world, as_reader, level, cache_state):
    """``/preview/<id>/?as=`` shows any article (live or not) as that reader would
    see it live, with a fresh meter, and is never stored anywhere."""
    item = world.items[level]
    decision = PREVIEW_EXPECTED[as_reader][item.level]
    editor = UserFactory(username="matriks-pratinjau", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="preview_article"))
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.force_login(editor)
    walk = Walk(
        client,
        world,
        entitled=lambda other: other == item and decision.granted,
        warm=cache_state == "warm",
    )
    url = f"/preview/{item.pk}/?as={as_reader}"
    response, seen = walk.get(url, view=lambda r: page_view(r, item))
    walk.expect(seen == expected_page(decision), f"{url}: shows {seen}")
    walk.expect("no-store" in cache_control(response), f"{url}: {cache_control(response)!r}")
    walk.failures.extend(head_problems(response.content.decode(), item, url))
    walk.finish()


# --- The admin's "view on site" -------------------------------------------------------------


def _view_on_site_link(client: Client, article: Article) -> str:
    """The "View on site" link of the article's change form."""
    change = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert change.status_code == 200
    link = re.search(r'<a href="([^"]+)" class="viewsitelink"', change.content.decode())
    assert link, "the change form has no view-on-site link"
    return link.group(1)


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(username="matriks-admin", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("via", ["change-form-link", "admin-shortcut"])
def test_admin_view_on_site_of_an_article_past_its_embargo_is_200(admin_client_, via):
    now = timezone.now()
    article = ArticleFactory(
        access_level="premium",
        published_at=now - timedelta(hours=3),
        embargo_until=now - timedelta(hours=1),
        lead_photo=None,
    )
    if via == "change-form-link":
        url = _view_on_site_link(admin_client_, article)
    else:  # /admin/r/<content type>/<pk>/ redirects to get_absolute_url()
        url = f"/admin/r/{ContentType.objects.get_for_model(Article).pk}/{article.pk}/"
    response = admin_client_.get(url, follow=True)
    assert response.status_code == 200, (url, response.redirect_chain)
    assert article.headline in response.content.decode()


def test_admin_view_on_site_of_a_published_article_still_under_embargo_is_200(admin_client_):
    """Published, embargo ahead: the public address is a 404 until it lifts, so the
    admin's link must lead where the editor can see the article (its preview)."""
    now = timezone.now()
    article = ArticleFactory(
        access_level="premium",
        published_at=now - timedelta(hours=3),
        embargo_until=now + timedelta(hours=1),
        lead_photo=None,
    )
    url = _view_on_site_link(admin_client_, article)
    response = admin_client_.get(url, follow=True)
    assert response.status_code == 200, (url, response.redirect_chain)
    assert article.headline in response.content.decode()


# --- With an experiment running ------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_arm_b_with_no_allowance_gets_no_text_arm_a_was_granted(world, settings, signed_in):
    """Arm A's rules grant the metered article; arm B's (allowance 0) gate it. Arm
    A's reader fills every cache first; arm B's reader, on the page (id, /en/,
    print) and the API detail, cold and warm, never gets arm A's text."""
    from paywall import experiments
    from paywall import meter as paywall_meter
    from paywall.experiments import ArmSpec, experiment_create, experiment_start
    from paywall.rights import ReaderRights
    from paywall.rules import PaywallRules
    from paywall.rulesets import ruleset_create

    strict = ruleset_create(rules=PaywallRules(0, 0, 2), why="arm B", by=None)
    generous = ruleset_create(rules=PaywallRules(3, 10, 2), why="arm A", by=None)
    experiment_start(
        experiment_create(
            name="matrix", arms=[ArmSpec("a", generous, 50), ArmSpec("b", strict, 50)], by=None
        ),
        by=None,
    )

    def client_in(arm: str) -> Client:
        spec = experiments.running()
        while True:
            key = paywall_meter.new_anonymous_key()
            if spec.arm_for(ReaderRights(meter_key=key)).key == arm:
                break
        client = Client(HTTP_USER_AGENT=BROWSER)
        client.cookies[settings.PAYWALL_METER_COOKIE] = paywall_meter.sign_meter_key(key)
        if signed_in:
            client.force_login(UserFactory(username=f"matriks-arm-{arm}"))
        return client

    item = world.items["metered"]
    urls = (item.url, f"/en{item.url}", f"{item.url}?print=1")
    arm_a = client_in("a")
    for url in urls:
        for _ in range(2):
            assert item.carries_full(arm_a.get(url).content.decode()), f"arm A refused {url}"
    assert item.carries_full(arm_a.get(f"{API}/articles/{item.pk}").json()["body"])

    for warm in (True, False):
        walk = Walk(client_in("b"), world, entitled=lambda other: other.level == "free", warm=warm)
        for url in urls:
            response, seen = walk.get(url, view=lambda r: page_view(r, item), page_cached=True)
            walk.expect(
                'data-paywall="meter_exhausted' in response.content.decode(),
                f"{url}: arm B is not gated: {seen}",
            )
            _expect_private(walk, url, response, "an experiment arm's page")
        url = f"{API}/articles/{item.pk}"
        response, seen = walk.get(url, view=lambda r: api_view(r, item))
        walk.expect(not item.carries_full(response.json()["body"]), f"{url}: arm B got the text")
        walk.finish()
