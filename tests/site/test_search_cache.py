"""Search results pages in the page cache (``website.views.search``, the fast path).

A results page is kept per query, page number, cache class and paywall rules
version, and only for readers whose results are their class's: a reader must
never be served another class's results, nor staff's (who search every body).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from pagecache import store as page_cache
from paywall.rights import ANONYMOUS, PREMIUM_CONTENT, signed_in
from paywall.rules import Override, OverrideKind, OverrideTarget, PaywallRules, current_rules
from tests.factories import ArticleFactory, PhotoFactory, SectionFactory, UserFactory
from website.search import found_articles, search_articles

from .conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_ENABLED = True


def test_a_repeated_search_is_served_from_the_cache_without_sql(client, django_assert_num_queries):
    ArticleFactory(headline="Harga qvzcabai naik lagi")
    miss = client.get("/search/?q=qvzcabai")
    with django_assert_num_queries(0):
        hit = client.get("/search/?q=qvzcabai")
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert hit.content == miss.content
    assert "Harga qvzcabai naik lagi" in hit.content.decode()
    for header in ("Cache-Control", "X-Robots-Tag", "Surrogate-Key", "Content-Language"):
        assert hit[header] == miss[header], header
    assert hit["Cache-Control"].startswith("public")
    assert hit["X-Robots-Tag"] == "noindex, follow"


def test_each_query_and_page_is_its_own_entry(client):
    ArticleFactory(headline="Harga qvzcabai naik lagi")
    ArticleFactory(headline="Panen qvzbawang melimpah")
    assert "qvzcabai naik" in client.get("/search/?q=qvzcabai").content.decode()
    other = client.get("/search/?q=qvzbawang")
    assert other["X-Page-Cache"] == "miss"
    assert "qvzbawang melimpah" in other.content.decode()
    assert "qvzcabai naik" not in other.content.decode()
    second = client.get("/search/?q=qvzcabai&page=2")
    assert second["X-Page-Cache"] == "miss"
    assert "qvzcabai naik" not in second.content.decode()


def test_the_next_page_is_read_by_id_from_the_kept_ranking(client):
    now = timezone.now()
    stories = [
        ArticleFactory(headline=f"Harga qvzcabai naik ({n})", published_at=now - timedelta(hours=n))
        for n in range(25)
    ]
    first = client.get("/search/?q=qvzcabai").content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/search/?q=qvzcabai&page=2").content.decode()
    # No query of the second page looks for the words: the ranking was kept.
    assert queries.captured_queries
    assert not [q["sql"] for q in queries.captured_queries if "qvzcabai" in q["sql"]]
    shown = [s for s in stories if s.headline in first]
    rest = [s for s in stories if s.headline in second]
    assert len(shown) == 20
    assert len(rest) == 5
    assert not set(shown) & set(rest)


def test_the_results_page_reads_no_photo_and_the_api_keeps_its_cards_photos(client):
    photo = PhotoFactory(alt_text="Cabai di pasar", renditions={"320.webp": "r/1/320.webp"})
    ArticleFactory(headline="Harga qvzcabai naik lagi", lead_photo=photo)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/search/?q=qvzcabai").content.decode()
    assert "Harga qvzcabai naik lagi" in page
    # The results show no photo, so no read of the articles reads one (nor
    # decodes its renditions; the sidebar's galleries are not the results).
    articles = [q["sql"] for q in queries.captured_queries if 'FROM "articles_article"' in q["sql"]]
    assert articles
    assert not [sql for sql in articles if "renditions" in sql]
    # The API's card is the same search's result, with its photo.
    card = client.get(f"{API}/search?q=qvzcabai").json()["items"][0]["article"]
    assert card["lead_photo"]["alt_text"] == "Cabai di pasar"


def test_an_edit_empties_the_cached_results(client):
    story = ArticleFactory(headline="Harga qvzcabai naik lagi")
    client.get("/search/?q=qvzcabai")
    assert client.get("/search/?q=qvzcabai")["X-Page-Cache"] == "hit"
    story.headline = "Harga bawang naik lagi"
    story.save()
    after = client.get("/search/?q=qvzcabai")
    assert after["X-Page-Cache"] == "miss"
    assert "Harga bawang" not in after.content.decode()


def test_a_subscriber_is_not_served_the_anonymous_results(client, premium_article, premium_reader):
    assert premium_article.headline not in client.get("/search/?q=RAHASIA").content.decode()
    assert client.get("/search/?q=RAHASIA")["X-Page-Cache"] == "hit"
    client.force_login(premium_reader)
    subscriber = client.get("/search/?q=RAHASIA")
    assert subscriber["X-Page-Cache"] == "miss"
    assert premium_article.headline in subscriber.content.decode()
    assert subscriber["Cache-Control"].startswith("private")
    client.logout()
    assert premium_article.headline not in client.get("/search/?q=RAHASIA").content.decode()


def test_staff_results_are_never_kept_for_their_class(client, premium_article):
    """Staff search premium bodies; a registered reader (staff's cache class)
    searching the same words must not get their results or snippets."""
    staff = UserFactory(username="redaktur-zq", is_staff=True)
    client.force_login(staff)
    for _ in range(2):
        found = client.get("/search/?q=RAHASIA")
        assert found["X-Page-Cache"] == "miss"
        assert premium_article.headline in found.content.decode()
        assert "<mark>RAHASIA</mark>" in found.content.decode()  # a body snippet
    client.force_login(UserFactory(username="pembaca-zq"))
    reader = client.get("/search/?q=RAHASIA").content.decode()
    assert premium_article.headline not in reader
    assert "<mark>RAHASIA</mark>" not in reader
    assert SECRET not in reader


API = "/api/v1"


def test_a_repeated_api_search_reads_no_article_and_answers_the_same(
    client, django_assert_num_queries
):
    ArticleFactory(headline="Harga qvzcabai naik lagi")
    miss = client.get(f"{API}/search?q=qvzcabai")
    with django_assert_num_queries(0):
        hit = client.get(f"{API}/search?q=qvzcabai")
    assert hit.json() == miss.json()
    assert [item["article"]["headline"] for item in hit.json()["items"]] == [
        "Harga qvzcabai naik lagi"
    ]
    assert (hit["ETag"], hit["Cache-Control"]) == (miss["ETag"], miss["Cache-Control"])
    assert len(client.get(f"{API}/search?q=qvzcabai&limit=1").json()["items"]) == 1


def test_a_kept_api_search_is_the_json_sent_and_an_older_entry_still_answers(client):
    ArticleFactory(headline="Harga qvzcabai — naik lagi")
    miss = client.get(f"{API}/search?q=qvzcabai")
    page = page_cache.search_page(
        "qvzcabai", 20, rules_version=current_rules().version, kind="api-search"
    )
    entry = page_cache.list_entry(page, language="id", entitlement="anonymous")
    [kept] = entry.variants.values()
    assert kept["html"] == miss.content  # the bytes sent, not a payload to encode again
    hit = client.get(f"{API}/search?q=qvzcabai")
    assert hit.content == miss.content
    # An entry an older release kept (the payload itself) answers the same.
    [variant] = entry.variants
    entry.store(variant, miss.json(), {})
    assert client.get(f"{API}/search?q=qvzcabai").json() == miss.json()


def test_api_search_results_follow_edits_and_classes(client, premium_article, premium_reader):
    story = ArticleFactory(headline="Harga qvzcabai naik lagi")
    assert client.get(f"{API}/search?q=qvzcabai").json()["items"]
    story.headline = "Harga bawang naik lagi"
    story.save()
    assert client.get(f"{API}/search?q=qvzcabai").json()["items"] == []

    def headlines(response):
        return [item["article"]["headline"] for item in response.json()["items"]]

    assert premium_article.headline not in headlines(client.get(f"{API}/search?q=RAHASIA"))
    client.force_login(premium_reader)
    assert premium_article.headline in headlines(client.get(f"{API}/search?q=RAHASIA"))
    client.logout()
    assert premium_article.headline not in headlines(client.get(f"{API}/search?q=RAHASIA"))


def test_a_snippet_is_cut_from_the_kept_text_by_each_readers_decision(
    premium_article, premium_reader
):
    """Snippets read the body's kept text (``Article.body_text``): a subscriber's
    comes from the whole body, an anonymous reader's from the teaser only."""
    subscriber = signed_in(user_id=premium_reader.pk, entitlements=frozenset({PREMIUM_CONTENT}))
    (whole,) = search_articles("Nikel", rights=subscriber)
    (gated,) = search_articles("Nikel", rights=ANONYMOUS)

    assert SECRET in whole.text
    assert SECRET not in gated.text
    assert "Paragraf kedua" in gated.text


def test_a_body_written_around_save_is_never_shown_by_its_old_text():
    """A row whose body changed without ``Article.save`` (raw SQL, an import)
    keeps the old body's text: the snippet is cut from the body itself then."""
    story = ArticleFactory(
        headline="Laporan qvzlama", access_level="free", body="<p>Kata LAMASEKALI di sini.</p>"
    )
    Article.objects.filter(pk=story.pk).update(body="<p>Kata BARUSEKALI di sini.</p>")

    (found,) = search_articles("qvzlama", rights=ANONYMOUS)

    assert "BARUSEKALI" in found.text
    assert "LAMASEKALI" not in found.text


@pytest.mark.parametrize(
    "rules",
    [
        PaywallRules(3, 10, 2),  # a query shape compiled once per process (core.prepared)
        # An archive wall's cut-off is a value of the rules, not of the search:
        # its shape is built each time.
        PaywallRules(
            3,
            10,
            2,
            overrides=(Override(OverrideTarget.SECTION, "arsip-zq", OverrideKind.ARCHIVE_WALL, 7),),
        ),
    ],
)
def test_repeated_searches_find_what_the_rules_let_each_reader_search(rules):
    wall = SectionFactory(slug="arsip-zq")
    now = timezone.now()
    ArticleFactory(
        headline="Catatan lama",
        body="<p>qvzarsip lama.</p>",
        section=wall,
        published_at=now - timedelta(days=8),
    )
    ArticleFactory(
        headline="Catatan baru",
        body="<p>qvzarsip baru.</p>",
        section=wall,
        published_at=now - timedelta(days=1),
    )
    subscriber = signed_in(user_id=1, entitlements=frozenset({PREMIUM_CONTENT}))
    walled = bool(rules.overrides)
    for _ in range(3):
        for rights, expected in [
            (ANONYMOUS, ["Catatan baru"] if walled else ["Catatan baru", "Catatan lama"]),
            (subscriber, ["Catatan baru", "Catatan lama"]),
        ]:
            found = search_articles("qvzarsip", rights=rights, rules=rules, now=now)
            assert sorted(r.headline for r in found) == expected


def test_a_result_carries_no_body_only_what_its_decision_lets_through(premium_article):
    """Results are rows: the body is read for the snippet and stays with the
    paywall's facts, so a results page (or its cached copy) cannot show it."""
    [anonymous] = search_articles("Nikel", rights=ANONYMOUS)
    subscriber = signed_in(user_id=1, entitlements=frozenset({PREMIUM_CONTENT}))
    [whole] = search_articles("Nikel", rights=subscriber)
    for result in (anonymous, whole):
        assert result.pk == premium_article.pk
        assert "body" not in result.row
        assert SECRET not in repr(result.row)
    assert SECRET not in anonymous.text
    assert SECRET not in anonymous.snippet
    assert "Paragraf pembuka" in anonymous.text or "Paragraf kedua" in anonymous.text


def test_the_apis_found_rows_carry_no_body_only_what_each_decision_lets_through(premium_article):
    """The API's results (``found_articles``: card rows with their photos and
    plain-text snippets) hold no more of a gated article than the page's."""
    [(row, text)] = found_articles("Nikel", rights=ANONYMOUS)
    assert row["id"] == premium_article.pk
    assert "body" not in row
    assert "body_text" not in row
    assert SECRET not in repr(row)
    assert SECRET not in text
    assert "Paragraf pembuka" in text or "Paragraf kedua" in text
    subscriber = signed_in(user_id=1, entitlements=frozenset({PREMIUM_CONTENT}))
    [(whole_row, _whole)] = found_articles("Nikel", rights=subscriber)
    assert "body" not in whole_row
