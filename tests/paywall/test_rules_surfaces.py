"""The rules through real URLs: a rule change reaches the next request (the page
cache's fast path included), and under every override kind a reader who is not
entitled never gets text beyond the teaser on the page, the API detail, the
feeds or search.

Each article's body carries two secret words after its teaser (the first two
blocks), as in ``test_surface_matrix``.
"""

import json
import re
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from paywall.rules import Override, OverrideKind, OverrideTarget, PaywallRules
from paywall.rulesets import ruleset_create, ruleset_rollback
from tests.conftest import clear_caches
from tests.factories import (
    ArticleFactory,
    PlanFactory,
    SectionFactory,
    SubscriptionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
DEFAULTS = PaywallRules(anonymous_allowance=3, registered_allowance=10, teaser_blocks=2)


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_ENABLED = True
    settings.PAYWALL_CRAWLER_VERIFIER = ""


def article(name: str, level: str, *, section=None, topics=(), age=timedelta(hours=1)):
    word = "".join(c for c in name if c.isalpha())
    body = "\n".join(
        [
            f"<p>Pembuka {name}.</p>",
            f"<p>Lanjutan {name}.</p>",
            f"<p>qvzrahasia{word}tiga hanya untuk yang berhak.</p>",
            f"<p>Penutup qvzrahasia{word}empat.</p>",
        ]
    )
    made = ArticleFactory(
        headline=f"Judul qvzjudul{word}",
        body=body,
        access_level=level,
        section=section or SectionFactory(),
        topics=list(topics),
        lead_photo=None,
        published_at=timezone.now() - age,
    )
    made.secrets = (f"qvzrahasia{word}tiga", f"qvzrahasia{word}empat")
    made.headline_word = f"qvzjudul{word}"
    return made


def reason(response) -> str | None:
    html = response.content.decode()
    if 'data-paywall="' not in html:
        return None
    return html.split('data-paywall="', 1)[1].split('"', 1)[0]


def meter_left(response) -> str | None:
    html = response.content.decode()
    if 'data-meter-left="' not in html:
        return None
    return html.split('data-meter-left="', 1)[1].split('"', 1)[0]


def use(rules: PaywallRules, why="uji"):
    return ruleset_create(rules=rules, why=why, by=None)


# --- A cached page never outlives a rule change -------------------------------------------------


def test_a_new_allowance_shows_on_the_next_request_fast_path_included(client):
    use(DEFAULTS)
    reader = UserFactory()
    client.force_login(reader)
    story = article("meter", "metered")
    url = story.get_absolute_url()
    first = client.get(url)
    assert (first["X-Page-Cache"], meter_left(first)) == ("miss", "9")
    again = client.get(url)  # a re-read: the fast path serves it
    assert (again["X-Page-Cache"], meter_left(again)) == ("hit", "9")
    use(replace(DEFAULTS, registered_allowance=5), why="lebih ketat")
    after = client.get(url)
    assert (after["X-Page-Cache"], meter_left(after)) == ("miss", "4")
    assert story.secrets[0] in after.content.decode()  # the read was counted before
    cached = client.get(url)
    assert (cached["X-Page-Cache"], meter_left(cached)) == ("hit", "4")


def test_a_new_teaser_length_replaces_the_shared_cached_teaser(client):
    story = article("teaser", "premium")
    url = story.get_absolute_url()
    assert client.get(url)["X-Page-Cache"] == "miss"
    shared = client.get(url)
    assert shared["X-Page-Cache"] == "hit"
    assert shared["Cache-Control"].startswith("public")
    assert "Lanjutan teaser." in shared.content.decode()
    use(replace(DEFAULTS, teaser_blocks=1), why="teaser pendek")
    after = client.get(url)
    assert after["X-Page-Cache"] == "miss"
    assert "Pembuka teaser." in after.content.decode()
    assert "Lanjutan teaser." not in after.content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_ending_the_crisis_switch_gates_the_next_request_at_once(client):
    topic = TopicFactory(slug="banjir")
    story = article("krisis", "premium", topics=[topic])
    url = story.get_absolute_url()
    crisis = Override(OverrideTarget.TOPIC, "banjir", OverrideKind.FREE)
    before = use(DEFAULTS, why="biasa")
    use(replace(DEFAULTS, overrides=(crisis,)), why="banjir Jakarta")
    client.get(url)
    open_page = client.get(url)
    assert open_page["X-Page-Cache"] == "hit"
    assert story.secrets[0] in open_page.content.decode()
    assert open_page["Cache-Control"].startswith("public")  # free for everyone, shared
    ruleset_rollback(to=before, by=None, why="banjir surut")
    for _ in range(2):  # the miss, then the cached teaser
        gated = client.get(url)
        assert reason(gated) == "premium_login"
        assert not any(secret in gated.content.decode() for secret in story.secrets)


def test_a_scheduled_version_takes_over_at_its_time(client):
    story = article("jadwal", "free", section=SectionFactory(slug="opini"))
    url = story.get_absolute_url()
    use(DEFAULTS)
    start = timezone.now() + timedelta(seconds=1)
    only = Override(OverrideTarget.SECTION, "opini", OverrideKind.REGISTRATION_ONLY)
    ruleset_create(
        rules=replace(DEFAULTS, overrides=(only,)), why="nanti", by=None, effective_from=start
    )
    client.get(url)
    cached = client.get(url)
    assert (cached["X-Page-Cache"], reason(cached)) == ("hit", None)
    time.sleep(max((start - timezone.now()).total_seconds(), 0) + 0.05)
    # No save happened since: the cached rules knew when the next version starts.
    after = client.get(url)
    assert reason(after) == "registration_required"
    assert not any(secret in after.content.decode() for secret in story.secrets)


# --- No text beyond the teaser for a reader who is not entitled, under any override ---------------


def _readers() -> dict:
    anonymous = Client()
    used_up = Client()
    for filler in [article(f"isi{c}", "metered") for c in "abc"]:
        used_up.get(filler.get_absolute_url())
    registered = Client()
    registered.force_login(UserFactory())
    premium = Client()
    premium.force_login(SubscriptionFactory(plan=PlanFactory(code="premium")).user)
    return {
        "anonymous": anonymous,
        "anonymous_meter_used_up": used_up,
        "registered": registered,
        "premium": premium,
    }


def _surfaces(story) -> list[tuple[str, bool]]:
    """(url, page-cached): page and site search (twice: cold then warm), API detail,
    feeds, API search."""
    section = story.section.slug
    topics = [t.slug for t in story.topics.all()]
    urls = [
        (story.get_absolute_url(), True),
        (f"{story.get_absolute_url()}?print=1", False),
        (f"{API}/articles/{story.pk}", False),
        ("/rss/", False),
        (f"/rss/rubrik/{section}/", False),
        *[(f"/rss/topik/{slug}/", False) for slug in topics],
    ]
    for word in (story.headline_word, story.secrets[0]):
        urls += [(f"/search/?q={word}", True), (f"{API}/search?q={word}", False)]
    return urls


def _region(url: str, response) -> str:
    """What a response shows of articles (a search page also echoes the query)."""
    if url.startswith(f"{API}/search"):
        return json.dumps(response.json()["items"])
    if url.startswith("/search/"):
        found = re.search(r'<ol class="results">(.*?)</ol>', response.content.decode(), re.S)
        return found.group(1) if found else ""
    return response.content.decode()


def _leaks(client, story) -> list[str]:
    found = []
    for url, page_cached in _surfaces(story):
        for attempt in range(2 if page_cached else 1):
            response = client.get(url)
            assert response.status_code == 200, url
            text = _region(url, response)
            if any(secret in text for secret in story.secrets):
                found.append(f"{url} [{'warm' if attempt else 'cold'}]")
            if story.secrets[0] in url and f"/{story.pk}/" in text:
                found.append(f"{url}: found by a word beyond the teaser")
    return found


def _entitled(client, story) -> bool:
    return story.secrets[0] in client.get(f"{API}/articles/{story.pk}").content.decode()


SCENARIOS = {
    # name: (rules, the article's level, section, topic, age, who is entitled)
    "registration_only_by_section": (
        Override(OverrideTarget.SECTION, "rubrik-aturan", OverrideKind.REGISTRATION_ONLY),
        "free",
        timedelta(hours=1),
        {"registered", "premium"},
    ),
    "registration_only_by_topic": (
        Override(OverrideTarget.TOPIC, "topik-aturan", OverrideKind.REGISTRATION_ONLY),
        "metered",
        timedelta(hours=1),
        {"registered", "premium"},
    ),
    "archive_wall_by_section": (
        Override(OverrideTarget.SECTION, "rubrik-aturan", OverrideKind.ARCHIVE_WALL, 7),
        "free",
        timedelta(days=8),
        {"premium"},
    ),
    "archive_wall_by_topic": (
        Override(OverrideTarget.TOPIC, "topik-aturan", OverrideKind.ARCHIVE_WALL, 7),
        "metered",
        timedelta(days=8),
        {"premium"},
    ),
    "premium_metered_while_young": (
        None,
        "premium",
        timedelta(hours=1),
        {"anonymous", "registered", "premium"},  # a metered read; not with the meter used up
    ),
    "premium_again_when_old": (None, "premium", timedelta(hours=7), {"premium"}),
    "free_for_everyone": (
        Override(OverrideTarget.TOPIC, "topik-aturan", OverrideKind.FREE),
        "premium",
        timedelta(hours=1),
        {"anonymous", "anonymous_meter_used_up", "registered", "premium"},
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_text_beyond_the_teaser_for_a_reader_the_override_does_not_entitle(scenario):
    override, level, age, entitled = SCENARIOS[scenario]
    section = SectionFactory(slug="rubrik-aturan")
    topic = TopicFactory(slug="topik-aturan")
    story = article(scenario, level, section=section, topics=[topic], age=age)
    rules = replace(
        DEFAULTS,
        overrides=(override,) if override else (),
        premium_metered_hours=None if override else 6,
    )
    readers = _readers()  # the fillers are read under the defaults
    use(rules, why=scenario)
    clear_caches()  # cold: nothing rendered before the rules
    problems = []
    for name, client in readers.items():
        if name in entitled:
            if not _entitled(client, story):
                problems.append(f"{name}: entitled but refused")
            continue
        problems += [f"{name}: {where}" for where in _leaks(client, story)]
    assert not problems, problems
